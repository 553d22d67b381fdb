#include "delivery_report.hpp"

#include <fmt/format.h>

namespace delivery {

namespace {

std::string delay_text(const std::optional<Seconds>& delay) { return delay ? duration_text(*delay) : "–"; }

std::string on_off(bool on) { return on ? "yes" : "–"; }

/// A cell of the overview: p95 delay (and what is left undelivered) for mail, the share
/// blocked for spam.
std::string overview_cell(const SenderClass& kind, const ClassSummary& s) {
  if (kind.category == Category::spam) return fmt::format("{:.0f} % blocked", 100 * s.undelivered_share());
  std::string cell = delay_text(s.p95_delay);
  if (s.undelivered() > 0) cell += fmt::format(" ({} lost)", s.undelivered());
  return cell;
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

std::string json_seconds(const std::optional<Seconds>& value) { return value ? std::to_string(*value) : "null"; }

}  // namespace

std::string markdown_report(const RunDescription& run, const std::vector<ConfigurationResult>& results,
                            const std::vector<TargetCheck>& targets) {
  std::string out;
  std::size_t requests = 0;
  for (const auto& r : results) requests += r.requests;
  out += fmt::format(
      "grayling-delivery: seed {}, {} legitimate + {} spam messages arriving over one day, {} simulated; "
      "delay {} s, auto-whitelist after {} passes; {} policy requests in {:.1f} s.\n\n",
      run.seed, run.legitimate, run.spam, duration_text(run.simulated), run.delay, run.auto_whitelist_clients, requests,
      run.wall_seconds);

  out +=
      "| configuration | shipped whitelist | SPF equivalence | hex/UUID senders | verified name | requests | "
      "whitelist passes | AWL passes | what |\n";
  out += "|---|---|---|---|---|---:|---:|---:|---|\n";
  for (const auto& r : results) {
    const Configuration& c = *r.configuration;
    out += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", c.name, on_off(c.shipped_whitelist),
                       on_off(c.features.spf), on_off(c.features.hex_ids), on_off(c.features.verified_name), r.requests,
                       r.whitelisted, r.auto_whitelisted, c.description);
  }

  out += "\np95 added delay (first attempt to delivery) and messages never delivered; for spam, the share blocked.\n\n";
  out += "| class |";
  for (const auto& r : results) out += fmt::format(" {} |", r.configuration->name);
  out += "\n|---|";
  for (std::size_t i = 0; i < results.size(); ++i) out += "---:|";
  out += "\n";
  for (const SenderClass& kind : sender_classes()) {
    out += fmt::format("| {} |", kind.label);
    for (const auto& r : results) out += fmt::format(" {} |", overview_cell(kind, r.of(kind.id)));
    out += "\n";
  }

  out +=
      "\n| configuration | class | messages | delivered | undelivered | median delay | p95 delay | attempts/msg | spam "
      "blocked |\n";
  out += "|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& r : results) {
    for (const SenderClass& kind : sender_classes()) {
      const ClassSummary& s = r.of(kind.id);
      const std::string blocked =
          kind.category == Category::spam ? fmt::format("{:.1f} %", 100 * s.undelivered_share()) : "";
      out += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {:.1f} | {} |\n", r.configuration->name, kind.label,
                         s.messages, s.delivered, s.undelivered(), delay_text(s.median_delay), delay_text(s.p95_delay),
                         s.attempts, blocked);
    }
  }

  out += "\nTargets:\n\n";
  for (const auto& t : targets) {
    out += fmt::format("- [{}] {} — {}\n", t.holds ? "x" : " ", t.target, t.detail);
  }
  return out;
}

std::string json_report(const RunDescription& run, const std::vector<ConfigurationResult>& results,
                        const std::vector<TargetCheck>& targets) {
  std::string out = fmt::format(
      "{{\"seed\":{},\"legitimate\":{},\"spam\":{},\"simulated_s\":{},\"delay_s\":{},\"auto_whitelist_clients\":{},"
      "\"wall_s\":{:.3f},\"configurations\":[",
      run.seed, run.legitimate, run.spam, run.simulated, run.delay, run.auto_whitelist_clients, run.wall_seconds);
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    const Configuration& c = *r.configuration;
    out += fmt::format(
        "{}{{\"name\":{},\"description\":{},\"shipped_whitelist\":{},\"spf\":{},\"hex_ids\":{},\"verified_name\":{},"
        "\"requests\":{},\"whitelist_passes\":{},\"awl_passes\":{},\"classes\":[",
        i ? "," : "", json_string(c.name), json_string(c.description), c.shipped_whitelist, c.features.spf,
        c.features.hex_ids, c.features.verified_name, r.requests, r.whitelisted, r.auto_whitelisted);
    bool first = true;
    for (const SenderClass& kind : sender_classes()) {
      const ClassSummary& s = r.of(kind.id);
      out += fmt::format(
          "{}{{\"class\":{},\"spam\":{},\"messages\":{},\"delivered\":{},\"undelivered\":{},\"median_delay_s\":{},"
          "\"p95_delay_s\":{},\"attempts_per_message\":{:.3f}}}",
          first ? "" : ",", json_string(kind.label), kind.category == Category::spam, s.messages, s.delivered,
          s.undelivered(), json_seconds(s.median_delay), json_seconds(s.p95_delay), s.attempts);
      first = false;
    }
    out += "]}";
  }
  out += "],\"targets\":[";
  for (std::size_t i = 0; i < targets.size(); ++i) {
    out += fmt::format("{}{{\"target\":{},\"holds\":{},\"detail\":{}}}", i ? "," : "", json_string(targets[i].target),
                       targets[i].holds, json_string(targets[i].detail));
  }
  return out + "]}\n";
}

}  // namespace delivery
