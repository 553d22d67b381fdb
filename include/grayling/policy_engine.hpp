#pragma once
/// The greylisting decision itself: pure logic over a request, a clock value and a store.

#include <cstdint>
#include <string>
#include <variant>

#include "grayling/decision.hpp"
#include "grayling/policy_request.hpp"
#include "grayling/store.hpp"
#include "grayling/triplet_key.hpp"

namespace grayling {

/// The settings that shape decisions (postgrey's timing and reply options).
struct EngineSettings {
  KeyRules keys;
  std::int64_t delay = 300;                 // seconds a new triplet is held
  std::int64_t max_age = 35 * 86400;        // seconds a triplet lives after its last use
  std::int64_t retry_window = 2 * 86400;    // seconds a first retry may take
  std::string greylist_action = "DEFER_IF_PERMIT";
  std::string greylist_text = "Greylisted, see http://postgrey.schweikert.ch/help/%r.html";
  // A passed triplet's last_seen is refreshed at most this often: most hits then need no
  // write at all, and max-age expiry is only this much less exact.
  std::int64_t touch_interval = 3600;
};

/// Everything the store-side decision needs, extracted from a request that passed screening.
struct TripletLookup {
  std::string key;               // triplet key
  std::string recipient_domain;  // for %r in the greylist text
  bool has_etrn_domain = false;  // postgrey's "4.2.0 " prefix rule
};

/// Decides requests in two steps: screen() without the store (on the I/O thread), then
/// decide() with it (on the store thread, inside the batch's transaction).
class PolicyEngine {
 public:
  explicit PolicyEngine(EngineSettings settings) : settings_(std::move(settings)) {}

  /// Checks that need no store: request type, protocol state, required attributes,
  /// client address. Returns a final Decision, or the lookup to run against the store.
  [[nodiscard]] std::variant<Decision, TripletLookup> screen(const PolicyRequest& request) const;

  /// postgrey's timing algorithm for one triplet at time `now`. Writes what must be
  /// remembered; throws StoreError if the store fails.
  [[nodiscard]] Decision decide(const TripletLookup& lookup, EpochSeconds now, Store& store) const;

  /// The rows expiry may delete at time `now`.
  [[nodiscard]] ExpiryCutoffs expiry_cutoffs(EpochSeconds now) const;

  [[nodiscard]] const EngineSettings& settings() const { return settings_; }

 private:
  [[nodiscard]] std::string greylist_reply(const TripletLookup& lookup, std::int64_t seconds_left) const;

  EngineSettings settings_;
};

}  // namespace grayling
