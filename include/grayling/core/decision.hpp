#pragma once
/// What the daemon decided about one request, and why.

#include <cstdint>
#include <optional>
#include <string>

namespace grayling {

/// What to answer when the store cannot be used (--store-error-action).
enum class StoreErrorAction {
  dunno,     // fail open: mail flows ungreylisted while the store is broken
  tempfail,  // fail closed: Postfix defers with 451 until the store is back
};

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
  bool store_failure = false;           // answered per --store-error-action: the store failed

  static Decision pass_because(std::string why) {
    Decision decision;
    decision.outcome = Outcome::pass;
    decision.reason = std::move(why);
    return decision;
  }

  /// The answer while the store cannot decide: `why` becomes the logged reason.
  static Decision store_unavailable(StoreErrorAction action, std::string why) {
    Decision decision;
    decision.reason = std::move(why);
    decision.store_failure = true;
    if (action == StoreErrorAction::dunno) {
      decision.outcome = Outcome::pass;
    } else {
      decision.outcome = Outcome::greylist;
      decision.action = "451 4.3.0 Greylisting temporarily unavailable, please try again later";
    }
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
