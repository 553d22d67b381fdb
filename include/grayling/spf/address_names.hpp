#pragma once
/// The client address as SPF sees and spells it (RFC 7208 5 and 7.3).

#include <string>
#include <string_view>

#include "grayling/core/ip_address.hpp"

namespace grayling::spf {

/// %{i}: the dotted quad, or for IPv6 the 32 nibbles dot-separated in upper case
/// ("2.0.0.1.0.D.B.8.0...").
[[nodiscard]] std::string dotted_address(const IpAddress& address);

/// %{v}: "in-addr" for IPv4, "ip6" for IPv6.
[[nodiscard]] std::string_view reverse_zone_label(const IpAddress& address);

/// The name the address's PTR records live at: %{ir}.%{v}.arpa, lower case.
[[nodiscard]] std::string reverse_lookup_name(const IpAddress& address);

}  // namespace grayling::spf
