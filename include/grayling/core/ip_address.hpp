#pragma once
/// IPv4/IPv6 addresses and networks without any socket library: parsing, masking, printing.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace grayling {

/// An IPv4 or IPv6 address. parse() keeps an IPv4-mapped IPv6 address (::ffff:192.0.2.1)
/// IPv6, as written; matching (IpNetwork::contains) and keys take it as the IPv4 address
/// it stands for (unmapped()): a dual-stack socket shows IPv4 peers in that form.
struct IpAddress {
  enum class Family : std::uint8_t { v4, v6 };

  Family family = Family::v4;
  std::array<std::uint8_t, 16> bytes{};  // v4 uses the first 4

  /// Parses dotted-quad IPv4 or textual IPv6; nullopt for anything else.
  static std::optional<IpAddress> parse(std::string_view text);

  [[nodiscard]] int bit_count() const { return family == Family::v4 ? 32 : 128; }

  /// True for an IPv4-mapped IPv6 address (::ffff:0:0/96).
  [[nodiscard]] bool is_v4_mapped() const;

  /// The IPv4 address an IPv4-mapped one stands for; any other address as it is.
  [[nodiscard]] IpAddress unmapped() const;

  /// The address with all bits after the first `prefix` cleared.
  [[nodiscard]] IpAddress masked(int prefix) const;

  /// True when the first `prefix` bits equal those of `other` (same family only).
  [[nodiscard]] bool same_prefix(const IpAddress& other, int prefix) const;

  /// Conventional text: dotted quad, or RFC 5952 compressed lower-case IPv6.
  [[nodiscard]] std::string to_string() const;

  /// postgrey's (NetAddr::IP) text: IPv6 uncompressed, no leading zeros, lower case;
  /// e.g. "2001:db8:1:2:0:0:0:0". Keys must match postgrey's byte for byte.
  [[nodiscard]] std::string to_expanded_string() const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

/// An address block such as 192.0.2.0/24 or 2001:db8::/32.
struct IpNetwork {
  IpAddress address;  // already masked
  int prefix = 0;

  /// Parses "ADDR" (host route) or "ADDR/LEN"; nullopt when malformed or LEN out of range.
  static std::optional<IpNetwork> parse(std::string_view text);

  /// True when `candidate` is in the block. IPv4-mapped addresses, on either side, are the
  /// IPv4 addresses they stand for: 192.0.2.0/24 holds ::ffff:192.0.2.1, ::/0 does not.
  [[nodiscard]] bool contains(const IpAddress& candidate) const;

  friend bool operator==(const IpNetwork&, const IpNetwork&) = default;
};

}  // namespace grayling
