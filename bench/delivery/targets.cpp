#include "targets.hpp"

#include <fmt/format.h>

namespace delivery {

namespace {

constexpr Seconds kPoolP95Limit = 15 * 60;

std::string delay_text(const std::optional<Seconds>& delay) { return delay ? duration_text(*delay) : "–"; }

TargetCheck pools_fast(const ConfigurationResult& all_new) {
  TargetCheck check{"no whitelist, SPF and hex as shipped: every pool class p95 added delay ≤ 15 min, none undelivered", true,
                    ""};
  for (const SenderClass& kind : sender_classes()) {
    if (kind.category != Category::pool) continue;
    const ClassSummary& s = all_new.of(kind.id);
    const bool ok = s.undelivered() == 0 && s.p95_delay && *s.p95_delay <= kPoolP95Limit;
    check.holds = check.holds && ok;
    check.detail += fmt::format("{}{}: p95 {}, {} undelivered", check.detail.empty() ? "" : "; ", kind.label,
                                delay_text(s.p95_delay), s.undelivered());
  }
  return check;
}

TargetCheck fresh_delivered(const ConfigurationResult& all_new, const ConfigurationResult& postgrey) {
  TargetCheck check{"the fresh-sender-per-attempt classes are delivered (no whitelist, SPF and hex as shipped)", true, ""};
  for (const SenderClass& kind : sender_classes()) {
    if (kind.category != Category::fresh_sender) continue;
    const ClassSummary& s = all_new.of(kind.id);
    check.holds = check.holds && s.undelivered() == 0;
    check.detail += fmt::format("{}{}: {}/{} delivered, p95 {} (postgrey+WL: {}/{})", check.detail.empty() ? "" : "; ",
                                kind.label, s.delivered, s.messages, delay_text(s.p95_delay),
                                postgrey.of(kind.id).delivered, postgrey.of(kind.id).messages);
  }
  return check;
}

TargetCheck own_mtas_no_worse(const ConfigurationResult& all_new, const ConfigurationResult& postgrey) {
  TargetCheck check{"single-IP (own) MTAs no worse than postgrey: undelivered, median and p95 delay", true, ""};
  for (const SenderClass& kind : sender_classes()) {
    if (kind.category != Category::own_mta) continue;
    const ClassSummary& ours = all_new.of(kind.id);
    const ClassSummary& theirs = postgrey.of(kind.id);
    const auto no_later = [](const std::optional<Seconds>& a, const std::optional<Seconds>& b) {
      return !a || !b || *a <= *b;
    };
    const bool ok = ours.undelivered() <= theirs.undelivered() && no_later(ours.median_delay, theirs.median_delay) &&
                    no_later(ours.p95_delay, theirs.p95_delay);
    check.holds = check.holds && ok;
    check.detail += fmt::format("{}{}: p95 {} vs {}{}", check.detail.empty() ? "" : "; ", kind.label,
                                delay_text(ours.p95_delay), delay_text(theirs.p95_delay), ok ? "" : " (worse)");
  }
  return check;
}

std::pair<std::size_t, std::size_t> spam_blocked(const ConfigurationResult& result) {
  std::size_t blocked = 0;
  std::size_t total = 0;
  for (const SenderClass& kind : sender_classes()) {
    if (kind.category != Category::spam) continue;
    blocked += result.of(kind.id).undelivered();
    total += result.of(kind.id).messages;
  }
  return {blocked, total};
}

TargetCheck spam_no_worse(const ConfigurationResult& all_new, const ConfigurationResult& postgrey) {
  const auto [ours, total] = spam_blocked(all_new);
  const auto [theirs, total_theirs] = spam_blocked(postgrey);
  (void)total_theirs;
  const auto share = [total = total](std::size_t n) {
    return total == 0 ? 0.0 : 100.0 * static_cast<double>(n) / static_cast<double>(total);
  };
  return {"at least as much spam blocked as postgrey with its whitelist (no whitelist, SPF and hex as shipped)",
          ours >= theirs,
          fmt::format("{} of {} blocked ({:.1f} %) vs postgrey+WL {} ({:.1f} %)", ours, total, share(ours), theirs,
                      share(theirs))};
}

TargetCheck legitimate_delivered(const ConfigurationResult& all_new, const ConfigurationResult& shipped) {
  std::size_t undelivered = 0;
  std::size_t with_whitelist = 0;
  for (const SenderClass& kind : sender_classes()) {
    if (kind.category == Category::spam) continue;
    undelivered += all_new.of(kind.id).undelivered();
    with_whitelist += shipped.of(kind.id).undelivered();
  }
  return {"legitimate mail undelivered at the end: 0 (no whitelist, SPF and hex as shipped)", undelivered == 0,
          fmt::format("{} undelivered (grayling with the shipped whitelist: {})", undelivered, with_whitelist)};
}

}  // namespace

std::vector<TargetCheck> check_targets(const std::vector<ConfigurationResult>& results) {
  const auto& postgrey = results[static_cast<std::size_t>(ConfigId::postgrey)];
  const auto& shipped = results[static_cast<std::size_t>(ConfigId::grayling_shipped)];
  const auto& all_new = results[static_cast<std::size_t>(ConfigId::all_new)];
  return {pools_fast(all_new), fresh_delivered(all_new, postgrey), own_mtas_no_worse(all_new, postgrey),
          spam_no_worse(all_new, postgrey), legitimate_delivered(all_new, shipped)};
}

}  // namespace delivery
