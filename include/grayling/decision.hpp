#pragma once
/// What the daemon decided about one request, and why.

#include <cstdint>
#include <optional>
#include <string>

namespace grayling {

/// The outcome of one request: the reply action plus what the log line needs.
struct Decision {
  enum class Outcome {
    greylist,  // deferred: "action=greylist" in the log
    pass,      // let through: "action=pass" in the log
    skip,      // not subject to greylisting (wrong state, bad request): DUNNO, no action line
  };

  Outcome outcome = Outcome::skip;
  std::string action = "DUNNO";         // the access(5) action sent back to Postfix
  std::string reason;                   // postgrey's reason text, or why it was skipped
  std::optional<std::int64_t> delay;    // seconds the triplet was held, on its first pass
  bool warning = false;                 // skip caused by a bad request: log as a warning
  bool client_whitelisted = false;      // this pass made the client reach the auto-whitelist
  std::optional<std::int64_t> cache_until;  // a triplet pass the I/O thread may repeat until then

  static Decision pass_because(std::string why) {
    Decision decision;
    decision.outcome = Outcome::pass;
    decision.reason = std::move(why);
    return decision;
  }

  static Decision skip_because(std::string why, bool is_warning) {
    Decision decision;
    decision.reason = std::move(why);
    decision.warning = is_warning;
    return decision;
  }
};

}  // namespace grayling
