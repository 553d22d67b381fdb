#pragma once
/// Why the daemon answers a request as it does (grayling-admin explain): the engine's own
/// steps for one request, with what each step looked at. Pure, as the engine: the caller
/// loads the rows and names the time.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "grayling/core/policy_engine.hpp"

namespace grayling {

struct Explanation {
  /// What would be answered: the decision with the exact action the daemon sends
  /// (PREPEND X-Greylist on a first pass; DUNNO for a greylist in training mode).
  Decision decision;
  /// "pass", "greylist", "early retry" or "skip".
  std::string outcome;
  /// The whitelist entry that passed the request, with its file and line.
  std::optional<WhitelistSource> whitelist;
  /// The keys as built; absent when the request never reached the store.
  std::optional<TripletLookup> lookup;
  std::optional<ClientRecord> client;    // the client's auto-whitelist row, as stored
  std::optional<TripletRecord> triplet;  // the triplet's row, as stored
  /// Seconds until a retry passes (0 once it does); set when the triplet was decided.
  std::optional<std::int64_t> seconds_left;
  /// What deciding would write, were it the daemon deciding.
  std::optional<TripletRecord> triplet_after;
  std::optional<ClientRecord> client_after;
  EpochSeconds at = 0;  // the time decided at
  /// The domain whose SPF record authorised the client, when SPF equivalence keyed the
  /// triplet by it (lookup_authorised).
  std::optional<std::string> spf_domain;
};

/// How explain() reads the store: the rows for the keys, and the store's clock if it has one.
using RecordLoader = std::function<Records(const RecordKeys&)>;

/// Runs screen() and decide() as the daemon does for `request`, loading rows through
/// `load` only when screening leaves the decision to the store. `at` is the time to decide
/// at; unset, the store's clock (a shared store's) or else `system_now`.
/// `spf_domain`: the domain whose SPF check passed the client (the daemon's SenderAuthority
/// said so), so the triplet is keyed by it as the daemon keys it; nullopt: by network.
[[nodiscard]] Explanation explain(const PolicyEngine& engine, const PolicyRequest& request, const RecordLoader& load,
                                  std::optional<EpochSeconds> at, EpochSeconds system_now, bool training_mode,
                                  const std::optional<std::string>& spf_domain = std::nullopt);

}  // namespace grayling
