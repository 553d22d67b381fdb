#include "outcome_summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace delivery {

std::optional<Seconds> percentile(std::vector<Seconds>& values, double p) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(values.size())));
  return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

ConfigurationResult summarise(const Configuration& configuration, const Trace& trace, const Replay& replay) {
  ConfigurationResult result;
  result.configuration = &configuration;
  result.requests = replay.requests;
  result.whitelisted = replay.whitelisted;
  result.auto_whitelisted = replay.auto_whitelisted;
  std::array<std::vector<Seconds>, kClassCount> delays;
  std::array<double, kClassCount> attempts{};
  for (std::size_t i = 0; i < trace.messages.size(); ++i) {
    const std::size_t k = index_of(trace.messages[i].sender_class);
    const MessageOutcome& outcome = replay.outcomes[i];
    ClassSummary& summary = result.classes[k];
    ++summary.messages;
    attempts[k] += outcome.attempts;
    if (!outcome.delivered) continue;
    ++summary.delivered;
    delays[k].push_back(outcome.delay);
  }
  for (std::size_t k = 0; k < kClassCount; ++k) {
    ClassSummary& summary = result.classes[k];
    summary.median_delay = percentile(delays[k], 0.5);
    summary.p95_delay = percentile(delays[k], 0.95);
    summary.attempts = summary.messages == 0 ? 0 : attempts[k] / static_cast<double>(summary.messages);
  }
  return result;
}

std::string duration_text(Seconds seconds) {
  if (seconds < 60) return fmt::format("{} s", seconds);
  if (seconds < 3600) return fmt::format("{:.1f} min", static_cast<double>(seconds) / 60);
  if (seconds < 86400) return fmt::format("{:.1f} h", static_cast<double>(seconds) / 3600);
  return fmt::format("{:.1f} d", static_cast<double>(seconds) / 86400);
}

}  // namespace delivery
