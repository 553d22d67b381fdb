/// Reply classification and merging of per-thread counts (stats.hpp).

#include "stats.hpp"

#include <algorithm>

namespace bench {

Action classify_reply(std::string_view reply) {
  if (!reply.starts_with("action=")) return Action::other;
  reply.remove_prefix(7);
  const std::string_view word = reply.substr(0, reply.find_first_of(" \t\n"));
  if (word == "DEFER_IF_PERMIT") return Action::defer_if_permit;
  if (word == "DUNNO") return Action::dunno;
  if (word == "PREPEND") return Action::prepend;
  return Action::other;
}

void Stats::merge(const Stats& other) {
  latency.merge(other.latency);
  send_lag.merge(other.send_lag);
  for (std::size_t i = 0; i < kActionCount; ++i) actions[i] += other.actions[i];
  connect_failures += other.connect_failures;
  closed += other.closed;
  timeouts += other.timeouts;
  bad_replies += other.bad_replies;
  if (intervals.size() < other.intervals.size()) intervals.resize(other.intervals.size());
  for (std::size_t i = 0; i < other.intervals.size(); ++i) intervals[i].merge(other.intervals[i]);
}

}  // namespace bench
