#pragma once
/// A TripletQuery's keys, built as the daemon builds them: by its engine, and by the
/// domain whose SPF record authorises the client when --spf-equivalence is on. The one
/// path by which explain, show, delete and pass name a triplet.

#include <fmt/format.h>

#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "grayling/core/ip_address.hpp"

namespace grayling {

/// The query's client address, or AdminError naming what is wrong with it.
inline IpAddress parse_client_address(const std::string& text) {
  if (text.empty()) throw AdminError("--client-address is required");
  const auto address = IpAddress::parse(text);
  if (!address) throw AdminError(fmt::format("--client-address {}: not an IPv4 or IPv6 address", text));
  return *address;
}

/// What the daemon's session looks up for a query's request.
struct QueryKeys {
  /// engine.lookup(), or lookup_authorised() when SPF keyed the triplet by a domain.
  TripletLookup lookup;
  /// The domain whose SPF record authorised the client; nullopt: keyed by network.
  std::optional<std::string> spf_domain;

  /// The triplet keys the daemon decides by, in the order it reads them: the key, then
  /// (keyed by SPF) the network key it falls back on when the key has no row.
  [[nodiscard]] std::vector<std::string> triplet_keys() const {
    std::vector<std::string> keys{lookup.key};
    if (!lookup.network_key.empty()) keys.push_back(lookup.network_key);
    return keys;
  }
};

/// The keys of `query`, whatever the whitelists say, asking SPF as the daemon would
/// (spf_lookup.hpp). Throws AdminError for a query that names no triplet.
[[nodiscard]] QueryKeys query_keys(const PolicyEngine& engine, const SpfSettings& spf, const TripletQuery& query);

}  // namespace grayling
