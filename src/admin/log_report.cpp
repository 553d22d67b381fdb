#include "grayling/admin/log_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string_view>

#include "grayling/admin/time_text.hpp"

namespace grayling {

namespace {

/// The delay histogram's buckets: [from, to), seconds; the last has no end.
struct Bucket {
  std::string_view label;
  std::int64_t from;
  std::optional<std::int64_t> to;
};
constexpr std::array<Bucket, 6> kBuckets{{{"< 5m", 0, 300},
                                          {"5-10m", 300, 600},
                                          {"10-30m", 600, 1800},
                                          {"30m-1h", 1800, 3600},
                                          {"1-4h", 3600, 14400},
                                          {"> 4h", 14400, std::nullopt}}};

std::uint64_t bucket_count(const SecondsDistribution& delays, const Bucket& bucket) {
  return delays.count_between(bucket.from, bucket.to.value_or(INT64_MAX));
}

/// 301 -> "5m01s", 7260 -> "2h01m": short enough for a column, exact where it matters.
std::string human_seconds(std::int64_t seconds) {
  if (seconds < 0) return fmt::format("-{}", human_seconds(-seconds));
  if (seconds < 60) return fmt::format("{}s", seconds);
  if (seconds < 3600) return fmt::format("{}m{:02}s", seconds / 60, seconds % 60);
  if (seconds < 86400) return fmt::format("{}h{:02}m", seconds / 3600, seconds % 3600 / 60);
  return fmt::format("{}d{:02}h", seconds / 86400, seconds % 86400 / 3600);
}

std::string percent(std::uint64_t part, std::uint64_t whole) {
  if (whole == 0) return "     -";
  return fmt::format("{:5.1f}%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

std::string optional_human(const std::optional<std::int64_t>& seconds) {
  return seconds ? human_seconds(*seconds) : std::string("-");
}

std::string span(const std::optional<EpochSeconds>& first, const std::optional<EpochSeconds>& last) {
  if (!first || !last) return "no stamped lines";
  return fmt::format("{} to {}", utc_text(*first), utc_text(*last));
}

void text_sources(const LogReport& report, std::string& text) {
  const std::uint64_t decisions = report.greylist_lines + report.pass_lines;
  text += fmt::format("lines           {} read: {} decisions, {} auto-whitelist lines, {} other, {} before --since\n",
                      report.lines, decisions, report.clients_whitelisted, report.other_lines, report.before_since);
  if (report.undated_lines > 0) {
    text += fmt::format("                {} decisions carry no time stamp: counted whatever --since says\n",
                        report.undated_lines);
  }
  text += fmt::format("period          {}\n", span(report.first, report.last));
  const std::pair<std::string_view, const SourceTally*> sources[] = {
      {"grayling", &report.grayling}, {"postgrey", &report.postgrey}, {"untagged", &report.untagged}};
  for (const auto& [name, tally] : sources) {
    if (tally->greylist_lines + tally->pass_lines == 0) continue;
    text += fmt::format("  {:<12}  {} greylist, {} pass lines; {}\n", name, tally->greylist_lines, tally->pass_lines,
                        span(tally->first, tally->last));
  }
}

void text_greylisted(const LogReport& report, std::string& text) {
  const std::uint64_t all = report.triplets;
  text += fmt::format("\ngreylisted      {} triplets ({} greylist lines, {} of them early retries)\n", all,
                      report.greylist_lines, report.early_retry_lines);
  text += fmt::format("  passed            {:>8} {}  came back after the delay\n", report.passed,
                      percent(report.passed, all));
  text += fmt::format("  retried, no pass  {:>8} {}  came back too early, then gave up\n",
                      report.retried_never_passed, percent(report.retried_never_passed, all));
  text += fmt::format("  never retried     {:>8} {}  likely spam\n", report.never_retried,
                      percent(report.never_retried, all));
  text += fmt::format("  too recent        {:>8} {}  no retry yet, greylisted in the log's last {}\n",
                      report.too_recent, percent(report.too_recent, all), human_seconds(report.too_recent_seconds));
  if (report.retries_greylisted_earlier + report.passes_greylisted_earlier > 0) {
    text += fmt::format("  not counted: {} early retries and {} first passes of triplets greylisted before the log "
                        "or --since\n",
                        report.retries_greylisted_earlier, report.passes_greylisted_earlier);
  }
  if (report.greylist_other_lines + report.lines_without_triplet > 0) {
    text += fmt::format("  not counted: {} greylist lines for other reasons (store trouble), {} decisions without "
                        "client_address or recipient\n",
                        report.greylist_other_lines, report.lines_without_triplet);
  }
}

void text_delays(const LogReport& report, std::string& text) {
  const SecondsDistribution& delays = report.pass_delays;
  text += fmt::format("\ndelay to pass   {} passed triplets: min {}, median {}, p90 {}, max {}\n", delays.count(),
                      optional_human(delays.min()), optional_human(delays.percentile(50)),
                      optional_human(delays.percentile(90)), optional_human(delays.max()));
  for (const Bucket& bucket : kBuckets) {
    const std::uint64_t inside = bucket_count(delays, bucket);
    text += fmt::format("  {:<8}{:>10} {}\n", bucket.label, inside, percent(inside, delays.count()));
  }
  if (report.pass_delay_unknown > 0) {
    text += fmt::format("  {} passed triplets had no delay= and no time stamps to measure\n",
                        report.pass_delay_unknown);
  }
}

void text_passes(const LogReport& report, std::string& text) {
  text += fmt::format("\npasses          {} lines\n", report.pass_lines);
  std::vector<std::pair<std::string, std::uint64_t>> reasons(report.passes_by_reason.begin(),
                                                             report.passes_by_reason.end());
  std::stable_sort(reasons.begin(), reasons.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  for (const auto& [reason, count] : reasons) {
    text += fmt::format("  {:<20}{:>8} {}\n", reason, count, percent(count, report.pass_lines));
  }
  text += fmt::format("  newly auto-whitelisted clients: {} (whitelisted: lines)\n", report.clients_whitelisted);
}

void text_shorter(const LogReport& report, std::string& text) {
  text += fmt::format(
      "\nshorter delay   of {} greylisted triplets with a time stamp, those that tried again at least\n"
      "                this long after their first greylisting, and so would have passed with it\n",
      report.timed_triplets);
  for (const ShorterDelay& shorter : report.shorter_delays) {
    text += fmt::format("  {:<8}{:>10} {}  {} never passed; the {} that did: median {}, at most {} sooner\n",
                        human_seconds(shorter.delay), shorter.would_pass,
                        percent(shorter.would_pass, report.timed_triplets), shorter.never_passed,
                        shorter.sooner.count(), optional_human(shorter.sooner.percentile(50)),
                        optional_human(shorter.sooner.max()));
  }
}

void text_groups(std::string_view title, const std::vector<DelayedGroup>& groups, std::string& text) {
  text += fmt::format("\n{:<40}{:>11}{:>8}{:>15}\n", title, "greylisted", "passed", "never retried");
  for (const DelayedGroup& group : groups) {
    text += fmt::format("  {:<38}{:>11}{:>8}{:>15}\n", group.name, group.triplets, group.passed, group.never_retried);
  }
}

nlohmann::ordered_json optional_json(const std::optional<std::int64_t>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json source_json(const SourceTally& tally) {
  return {{"greylist_lines", tally.greylist_lines},
          {"pass_lines", tally.pass_lines},
          {"first", optional_json(tally.first)},
          {"last", optional_json(tally.last)}};
}

nlohmann::ordered_json groups_json(const std::vector<DelayedGroup>& groups) {
  auto list = nlohmann::ordered_json::array();
  for (const DelayedGroup& group : groups) {
    list.push_back({{"name", group.name},
                    {"triplets", group.triplets},
                    {"passed", group.passed},
                    {"never_retried", group.never_retried}});
  }
  return list;
}

}  // namespace

std::string report_text(const LogReport& report) {
  std::string text;
  text_sources(report, text);
  text_greylisted(report, text);
  text_delays(report, text);
  text_passes(report, text);
  text_shorter(report, text);
  text_groups("top sender domains", report.top_sender_domains, text);
  text_groups("top clients", report.top_clients, text);
  return text;
}

std::string report_json(const LogReport& report) {
  using nlohmann::ordered_json;
  const SecondsDistribution& delays = report.pass_delays;
  auto histogram = ordered_json::array();
  for (const Bucket& bucket : kBuckets) {
    histogram.push_back(
        {{"from", bucket.from}, {"to", optional_json(bucket.to)}, {"count", bucket_count(delays, bucket)}});
  }
  auto shorter = ordered_json::array();
  for (const ShorterDelay& candidate : report.shorter_delays) {
    shorter.push_back({{"delay", candidate.delay},
                       {"would_pass", candidate.would_pass},
                       {"never_passed", candidate.never_passed},
                       {"sooner_median", optional_json(candidate.sooner.percentile(50))},
                       {"sooner_max", optional_json(candidate.sooner.max())}});
  }
  ordered_json object{
      {"lines",
       {{"read", report.lines},
        {"before_since", report.before_since},
        {"other", report.other_lines},
        {"undated", report.undated_lines}}},
      {"period", {{"first", optional_json(report.first)}, {"last", optional_json(report.last)}}},
      {"sources",
       {{"grayling", source_json(report.grayling)},
        {"postgrey", source_json(report.postgrey)},
        {"untagged", source_json(report.untagged)}}},
      {"greylisted",
       {{"lines", report.greylist_lines},
        {"early_retry_lines", report.early_retry_lines},
        {"other_reason_lines", report.greylist_other_lines},
        {"lines_without_triplet", report.lines_without_triplet},
        {"triplets", report.triplets},
        {"passed", report.passed},
        {"retried_never_passed", report.retried_never_passed},
        {"never_retried", report.never_retried},
        {"too_recent", report.too_recent},
        {"too_recent_seconds", report.too_recent_seconds},
        {"retries_greylisted_earlier", report.retries_greylisted_earlier},
        {"passes_greylisted_earlier", report.passes_greylisted_earlier}}},
      {"delay",
       {{"count", delays.count()},
        {"unknown", report.pass_delay_unknown},
        {"min", optional_json(delays.min())},
        {"median", optional_json(delays.percentile(50))},
        {"p90", optional_json(delays.percentile(90))},
        {"max", optional_json(delays.max())},
        {"histogram", histogram}}},
      {"passes",
       {{"lines", report.pass_lines},
        {"by_reason", report.passes_by_reason},
        {"clients_whitelisted", report.clients_whitelisted}}},
      {"shorter_delays", {{"timed_triplets", report.timed_triplets}, {"candidates", shorter}}},
      {"top_sender_domains", groups_json(report.top_sender_domains)},
      {"top_clients", groups_json(report.top_clients)}};
  return object.dump();
}

}  // namespace grayling
