#include "grayling/admin/log_report_builder.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "grayling/core/ip_address.hpp"

namespace grayling {

namespace {

/// "192.0.2.1/32" -> "192.0.2.1": grayling logs a prefix length, postgrey 1.37 does not.
std::string_view bare_address(std::string_view logged) { return logged.substr(0, logged.find('/')); }

/// The daemon's key for the logged triplet, so that a retry from another host of the same
/// network, or with another VERP number in the sender, joins the first attempt as it did
/// in the daemon. nullopt when the line lacks what a key needs.
std::optional<std::string> key_of(const LogLine& line, const KeyRules& rules) {
  if (line.client_address.empty() || line.recipient.empty()) return std::nullopt;
  const std::string_view address = bare_address(line.client_address);
  if (const auto client = IpAddress::parse(address)) return triplet_key(*client, line.sender, line.recipient, rules);
  return ascii_lower(fmt::format("{}/{}/{}", address, normalize_sender(line.sender), line.recipient));
}

std::string sender_domain(std::string_view sender) {
  if (sender.empty()) return "<>";
  const std::size_t at = sender.rfind('@');
  return ascii_lower(at == std::string_view::npos ? sender : sender.substr(at + 1));
}

/// Postfix writes "unknown" for a client without reverse DNS; its address says more.
std::string client_label(const LogLine& line) {
  if (!line.client_name.empty() && line.client_name != "unknown") return ascii_lower(line.client_name);
  return std::string(bare_address(line.client_address));
}

void widen(std::optional<EpochSeconds>& first, std::optional<EpochSeconds>& last, EpochSeconds time) {
  if (!first || time < *first) first = time;
  if (!last || time > *last) last = time;
}

std::vector<DelayedGroup> top_of(std::vector<DelayedGroup> groups, std::size_t count) {
  const auto more_delayed = [](const DelayedGroup& a, const DelayedGroup& b) {
    if (a.triplets != b.triplets) return a.triplets > b.triplets;
    return a.name < b.name;
  };
  std::erase_if(groups, [](const DelayedGroup& group) { return group.triplets == 0; });
  const std::size_t kept = std::min(count, groups.size());
  std::partial_sort(groups.begin(), groups.begin() + static_cast<std::ptrdiff_t>(kept), groups.end(), more_delayed);
  groups.resize(kept);
  return groups;
}

}  // namespace

std::uint32_t LogReportBuilder::Groups::id(std::string_view name) {
  if (const auto found = index.find(name); found != index.end()) return found->second;
  const auto next = static_cast<std::uint32_t>(tallies.size());
  index.emplace(std::string(name), next);
  tallies.push_back(DelayedGroup{.name = std::string(name)});
  return next;
}

LogReportBuilder::LogReportBuilder(ReportOptions options) : options_(std::move(options)) {
  for (const std::int64_t delay : options_.shorter_delays) {
    ShorterDelay shorter;
    shorter.delay = delay;
    totals_.shorter_delays.push_back(std::move(shorter));
  }
  totals_.too_recent_seconds = options_.too_recent;
}

void LogReportBuilder::add_line(std::string_view text) {
  ++totals_.lines;
  const LogLine line = parse_log_line(text, options_.clock);
  if (line.time && options_.since && *line.time < *options_.since) {
    ++totals_.before_since;
    return;
  }
  switch (line.kind) {
    case LogLine::Kind::other:
      ++totals_.other_lines;
      return;
    case LogLine::Kind::whitelisted:
      ++totals_.clients_whitelisted;
      return;
    case LogLine::Kind::greylist:
    case LogLine::Kind::pass:
      break;
  }
  count_source(line);
  std::optional<std::string> key = key_of(line, options_.keys);
  if (line.kind == LogLine::Kind::pass) {
    ++totals_.pass_lines;
    ++totals_.passes_by_reason[line.reason.empty() ? std::string("(none)") : std::string(line.reason)];
    if (key) {
      on_pass(line, *key);
    } else {
      ++totals_.lines_without_triplet;
    }
    return;
  }
  ++totals_.greylist_lines;
  const bool is_new = line.reason == "new";
  const bool early = line.reason.starts_with("early-retry");
  if (early) ++totals_.early_retry_lines;
  if (!is_new && !early) {
    ++totals_.greylist_other_lines;  // e.g. "store unavailable": about the daemon, not the triplet
  } else if (key) {
    on_greylist(line, std::move(*key));
  } else {
    ++totals_.lines_without_triplet;
  }
}

void LogReportBuilder::count_source(const LogLine& line) {
  SourceTally& tally = line.source == LogSource::grayling   ? totals_.grayling
                       : line.source == LogSource::postgrey ? totals_.postgrey
                                                            : totals_.untagged;
  ++(line.kind == LogLine::Kind::greylist ? tally.greylist_lines : tally.pass_lines);
  if (!line.time) {
    ++totals_.undated_lines;
    return;
  }
  widen(tally.first, tally.last, *line.time);
  widen(totals_.first, totals_.last, *line.time);
}

void LogReportBuilder::on_greylist(const LogLine& line, std::string key) {
  const bool is_new = line.reason == "new";
  const auto found = episodes_.find(key);
  if (found == episodes_.end()) {
    if (!is_new) {
      ++totals_.retries_greylisted_earlier;
      return;
    }
    start_episode(line, episodes_[std::move(key)]);
    return;
  }
  Episode& episode = found->second;
  if (episode.passed) {
    // Greylisted anew after passing: its row expired. The old episode is complete.
    if (is_new) {
      fold(episode, totals_, domains_.tallies, clients_.tallies);
      start_episode(line, episode);
    }
    return;
  }
  // An early retry, or a "new" after the retry window: either way the sender came back.
  attempt(episode, line, std::nullopt);
}

void LogReportBuilder::on_pass(const LogLine& line, const std::string& key) {
  const auto found = episodes_.find(key);
  if (found == episodes_.end()) {
    if (line.delay) ++totals_.passes_greylisted_earlier;
    return;
  }
  Episode& episode = found->second;
  if (episode.passed) return;  // a known-good triplet's daily traffic
  // Any pass ends the wait, even "client AWL": the client may have earned trust meanwhile.
  episode.passed = true;
  episode.pass_offset = attempt(episode, line, line.delay);
  if (line.delay) {
    episode.pass_delay = line.delay;
  } else if (episode.first && line.time && *line.time >= *episode.first) {
    episode.pass_delay = *line.time - *episode.first;
  }
}

void LogReportBuilder::start_episode(const LogLine& line, Episode& episode) {
  episode = Episode{};
  episode.first = line.time;
  episode.domain = domains_.id(sender_domain(line.sender));
  episode.client = clients_.id(client_label(line));
  episode.first_attempt_after.assign(options_.shorter_delays.size(), -1);
}

std::optional<std::int64_t> LogReportBuilder::attempt(Episode& episode, const LogLine& line,
                                                      std::optional<std::int64_t> delay_field) {
  episode.retried = true;
  // Stamps first, so early retries and passes are measured alike; a pass's delay= (the
  // daemon's own count) when a stamp is missing.
  std::optional<std::int64_t> offset;
  if (episode.first && line.time) {
    offset = *line.time - *episode.first;
  } else {
    offset = delay_field;
  }
  if (!offset || *offset < 0) return std::nullopt;  // lines out of order: no measure
  if (!episode.first) return offset;
  for (std::size_t i = 0; i < options_.shorter_delays.size(); ++i) {
    if (episode.first_attempt_after[i] < 0 && *offset >= options_.shorter_delays[i]) {
      episode.first_attempt_after[i] = *offset;
    }
  }
  return offset;
}

void LogReportBuilder::fold(const Episode& episode, LogReport& report, std::vector<DelayedGroup>& domains,
                            std::vector<DelayedGroup>& clients) const {
  DelayedGroup& domain = domains[episode.domain];
  DelayedGroup& client = clients[episode.client];
  ++report.triplets;
  ++domain.triplets;
  ++client.triplets;
  if (episode.passed) {
    ++report.passed;
    ++domain.passed;
    ++client.passed;
    if (episode.pass_delay) {
      report.pass_delays.add(*episode.pass_delay);
    } else {
      ++report.pass_delay_unknown;
    }
  } else if (episode.retried) {
    ++report.retried_never_passed;
  } else if (episode.first && report.last && *report.last - *episode.first < options_.too_recent) {
    ++report.too_recent;
  } else {
    ++report.never_retried;
    ++domain.never_retried;
    ++client.never_retried;
  }

  if (!episode.first) return;
  ++report.timed_triplets;
  for (std::size_t i = 0; i < report.shorter_delays.size(); ++i) {
    const std::int64_t at = episode.first_attempt_after[i];
    if (at < 0) continue;
    ShorterDelay& shorter = report.shorter_delays[i];
    ++shorter.would_pass;
    if (!episode.passed) {
      ++shorter.never_passed;
    } else if (episode.pass_offset) {
      shorter.sooner.add(*episode.pass_offset - at);
    }
  }
}

LogReport LogReportBuilder::finish() const {
  LogReport report = totals_;
  std::vector<DelayedGroup> domains = domains_.tallies;
  std::vector<DelayedGroup> clients = clients_.tallies;
  for (const auto& [key, episode] : episodes_) fold(episode, report, domains, clients);
  report.top_sender_domains = top_of(std::move(domains), options_.top);
  report.top_clients = top_of(std::move(clients), options_.top);
  return report;
}

}  // namespace grayling
