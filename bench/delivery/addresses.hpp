#pragma once
/// Addresses for a trace: the literals its tables are written with, an address drawn from a
/// network, and a stable hash of an address (for properties that must not change between
/// attempts, such as whether an address has a name).

#include <cstdint>
#include <string_view>

#include "grayling/core/ip_address.hpp"
#include "random.hpp"

namespace delivery {

/// Parses a literal of the trace tables; throws std::invalid_argument (a bug in the tables).
[[nodiscard]] grayling::IpNetwork network(std::string_view text);
[[nodiscard]] grayling::IpAddress address(std::string_view text);

/// A random address of `within` (for IPv4 networks of /24 and wider, never .0 or .255).
[[nodiscard]] grayling::IpAddress random_address_in(const grayling::IpNetwork& within, Random& random);
/// A random network of length `prefix` inside `within`.
[[nodiscard]] grayling::IpNetwork random_subnet(const grayling::IpNetwork& within, int prefix, Random& random);

/// FNV-1a over the address bytes: the same on every platform and run.
[[nodiscard]] std::uint64_t address_hash(const grayling::IpAddress& address);

}  // namespace delivery
