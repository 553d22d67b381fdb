#pragma once
/// A TripletQuery's keys, built by the daemon's own engine.

#include <fmt/format.h>

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

/// The triplet and auto-whitelist keys of a query, whatever the whitelists say.
inline TripletLookup query_lookup(const PolicyEngine& engine, const TripletQuery& query) {
  const IpAddress address = parse_client_address(query.client_address);
  if (!query.sender) throw AdminError("--sender is required (--sender= for the null sender)");
  if (query.recipient.empty()) throw AdminError("--recipient is required");
  return engine.lookup(address, *query.sender, query.recipient);
}

}  // namespace grayling
