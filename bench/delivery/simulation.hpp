#pragma once
/// Replays a trace through the real engine with a simulated clock.

#include <cstddef>
#include <vector>

#include "grayling/core/policy_engine.hpp"
#include "lookup_builder.hpp"
#include "retry_schedule.hpp"
#include "trace.hpp"

namespace delivery {

/// What became of one message under one configuration.
struct MessageOutcome {
  bool delivered = false;
  Seconds delay = 0;  // first attempt to the attempt that passed
  int attempts = 0;
};

/// Everything a replay did, message by message (in Trace::messages order).
struct Replay {
  std::vector<MessageOutcome> outcomes;
  std::size_t requests = 0;
  std::size_t whitelisted = 0;       // passed by the static client or recipient whitelist
  std::size_t auto_whitelisted = 0;  // passed by the auto-whitelist ("client AWL")
  std::size_t skipped = 0;           // answered DUNNO without greylisting: a malformed request (a bug)
};

/// Replays `trace` until `end`: every attempt is one policy request, decided as the
/// decision service decides a batch — screen(), then load, decide_into, save, commit on a
/// MemoryStore — at the attempt's simulated time. A greylisted message is retried on its
/// sender's schedule until it passes, its sender gives up, or the simulation ends; expiry
/// runs hourly, as in the daemon.
[[nodiscard]] Replay replay(const Trace& trace, const grayling::PolicyEngine& engine, const LookupBuilder& builder,
                            Seconds end);

}  // namespace delivery
