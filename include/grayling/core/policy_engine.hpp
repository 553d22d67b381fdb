#pragma once
/// The greylisting decision itself: pure logic over a request, a clock value and the
/// records a store loaded for it.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "grayling/core/decision.hpp"
#include "grayling/core/policy_request.hpp"
#include "grayling/core/records.hpp"
#include "grayling/core/triplet_key.hpp"
#include "grayling/core/whitelist.hpp"

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
  // With an SPF-authorised client (lookup_authorised): the key by the client's network,
  // read when `key` has no row, so a triplet known from before (or from a time DNS
  // failed) is not greylisted again. Empty otherwise.
  std::string network_key;
  std::string client_key;        // auto-whitelist key; empty when the auto-whitelist is off
  std::string recipient_domain;  // for %r in the greylist text
  bool has_etrn_domain = false;  // postgrey's "4.2.0 " prefix rule
};

/// What deciding one request changes: the decision, and the rows to write for it.
struct Transition {
  Decision decision;
  std::optional<TripletRecord> triplet;  // the new row of the lookup's key
  std::optional<ClientRecord> client;    // the new row of the lookup's client_key
};

/// Decides requests in two steps: screen() without the store (on the I/O thread), then
/// decide() over the records the store loaded (on the store thread, inside the batch's
/// transaction). Both are pure: no I/O, no clock but the `now` they are given.
class PolicyEngine {
 public:
  explicit PolicyEngine(EngineSettings settings, Whitelists whitelists = {})
      : settings_(std::move(settings)), whitelists_(std::move(whitelists)) {}

  /// Checks that need no store: request type, protocol state, required attributes,
  /// client address, static whitelists. Returns a final Decision, or the lookup to run
  /// against the store.
  [[nodiscard]] std::variant<Decision, TripletLookup> screen(const PolicyRequest& request) const;

  /// The keys of a triplet as screen() builds them (protected with --privacy), whatever
  /// the whitelists say: for grayling-admin, which names triplets by their parts.
  [[nodiscard]] TripletLookup lookup(const IpAddress& client, std::string_view sender, std::string_view recipient) const;
  /// The keys of a triplet whose client `domain` authorised by SPF: its client part is the
  /// domain (spf_client_key), so a retry from any of the domain's servers is the same
  /// triplet. The auto-whitelist stays per address.
  [[nodiscard]] TripletLookup lookup_authorised(const IpAddress& client, std::string_view domain,
                                                std::string_view sender, std::string_view recipient) const;

  /// The auto-whitelist key of a client (protected with --privacy); empty when it is off.
  [[nodiscard]] std::string awl_key(const IpAddress& client) const;

  /// Adds the keys decide() will look at for `lookup` to `keys`.
  static void add_keys(const TripletLookup& lookup, RecordKeys& keys);

  /// Auto-whitelist, then postgrey's timing algorithm for one triplet at time `now`,
  /// given the stored rows of the lookup's keys. Returns what must be written.
  [[nodiscard]] Transition decide(const TripletLookup& lookup, const Records& records, EpochSeconds now) const;

  /// decide() over a batch's records, with the writes applied to the batch, so the next
  /// request of the batch sees them: one step of what the decision service does.
  Decision decide_into(const TripletLookup& lookup, RecordBatch& batch, EpochSeconds now) const;

  /// The rows expiry may delete at time `now`.
  [[nodiscard]] ExpiryCutoffs expiry_cutoffs(EpochSeconds now) const;

  /// The X-Greylist header for a first pass after `delay` seconds, at time `now`.
  [[nodiscard]] std::string greylist_header(std::int64_t delay, EpochSeconds now) const;
  /// The action for a message's first pass: PREPEND of that header.
  [[nodiscard]] std::string first_pass_action(std::int64_t delay, EpochSeconds now) const {
    return "PREPEND " + greylist_header(delay, now);
  }

  [[nodiscard]] const EngineSettings& settings() const { return settings_; }
  [[nodiscard]] const Whitelists& whitelists() const { return whitelists_; }

 private:
  [[nodiscard]] std::string greylist_reply(const TripletLookup& lookup, std::int64_t seconds_left) const;
  /// Counts a first pass towards the client's auto-whitelist into `transition`; true when
  /// the client just got there.
  bool count_towards_awl(const ClientRecord* stored, EpochSeconds now, Transition& transition) const;
  /// The key as stored: clear text, or its SHA-1 hex with --privacy.
  [[nodiscard]] std::string protect(std::string key) const;
  [[nodiscard]] bool awl_enabled() const { return settings_.auto_whitelist_clients > 0; }

  EngineSettings settings_;
  Whitelists whitelists_;
};

}  // namespace grayling
