#pragma once
/// grayling-admin stats: what a store holds, as text for a person or JSON for a script.

#include <string>

#include "grayling/store/store.hpp"

namespace grayling {

/// The report of `stats` for `store` (its URI as logged) at `now`, as aligned lines.
[[nodiscard]] std::string stats_text(const StoreStats& stats, const std::string& store, EpochSeconds now);
/// The same as one JSON object (one line): store, pending, passed, triplets, clients,
/// oldest_first_seen (null when empty), due_for_expiry, bytes (null when unknown).
[[nodiscard]] std::string stats_json(const StoreStats& stats, const std::string& store);

}  // namespace grayling
