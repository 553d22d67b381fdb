#pragma once
/// The greylisting decision itself: pure logic over a request, a clock value and a store.

#include <cstdint>
#include <string>
#include <variant>

#include "grayling/decision.hpp"
#include "grayling/policy_request.hpp"
#include "grayling/store.hpp"
#include "grayling/triplet_key.hpp"
#include "grayling/whitelist.hpp"

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

  // Client auto-whitelist (postgrey's AWL): after this many first passes a client is
  // trusted; 0 disables it. Counted per address, or per network with awl_by_prefix.
  std::int64_t auto_whitelist_clients = 5;
  bool awl_by_prefix = false;
  std::int64_t awl_count_interval = 3600;  // a client's count grows at most this often

  bool privacy = false;  // store SHA-1 hex of keys, as postgrey --privacy

  // PREPEND on the first pass after greylisting: %t seconds, %v version, %h host, %d date.
  std::string x_greylist_header = "X-Greylist: delayed %t seconds by grayling-%v at %h; %d";
  std::string hostname = "localhost";
  std::string version = "0";
};

/// Everything the store-side decision needs, extracted from a request that passed screening.
struct TripletLookup {
  std::string key;               // triplet key
  std::string client_key;        // auto-whitelist key
  std::string recipient_domain;  // for %r in the greylist text
  bool has_etrn_domain = false;  // postgrey's "4.2.0 " prefix rule
};

/// Decides requests in two steps: screen() without the store (on the I/O thread), then
/// decide() with it (on the store thread, inside the batch's transaction).
class PolicyEngine {
 public:
  explicit PolicyEngine(EngineSettings settings, Whitelists whitelists = {})
      : settings_(std::move(settings)), whitelists_(std::move(whitelists)) {}

  /// Checks that need no store: request type, protocol state, required attributes,
  /// client address, static whitelists. Returns a final Decision, or the lookup to run
  /// against the store.
  [[nodiscard]] std::variant<Decision, TripletLookup> screen(const PolicyRequest& request) const;

  /// Auto-whitelist, then postgrey's timing algorithm for one triplet at time `now`.
  /// Writes what must be remembered; throws StoreError if the store fails.
  [[nodiscard]] Decision decide(const TripletLookup& lookup, EpochSeconds now, Store& store) const;

  /// The rows expiry may delete at time `now`.
  [[nodiscard]] ExpiryCutoffs expiry_cutoffs(EpochSeconds now) const;

  /// The X-Greylist header for a first pass after `delay` seconds, at time `now`.
  [[nodiscard]] std::string greylist_header(std::int64_t delay, EpochSeconds now) const;

  [[nodiscard]] const EngineSettings& settings() const { return settings_; }
  [[nodiscard]] const Whitelists& whitelists() const { return whitelists_; }

 private:
  [[nodiscard]] std::string greylist_reply(const TripletLookup& lookup, std::int64_t seconds_left) const;
  /// Counts a first pass towards the client's auto-whitelist; true when it just got there.
  bool count_towards_awl(const TripletLookup& lookup, EpochSeconds now, Store& store) const;
  /// The key as stored: clear text, or its SHA-1 hex with --privacy.
  [[nodiscard]] std::string protect(std::string key) const;
  [[nodiscard]] bool awl_enabled() const { return settings_.auto_whitelist_clients > 0; }

  EngineSettings settings_;
  Whitelists whitelists_;
};

}  // namespace grayling
