#include "grayling/core/ip_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace grayling {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton needs a terminated string; anything longer than an IPv6 text is not an address.
  char buffer[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof buffer) return std::nullopt;
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';

  IpAddress address;
  if (inet_pton(AF_INET, buffer, address.bytes.data()) == 1) {
    address.family = Family::v4;
    return address;
  }
  if (inet_pton(AF_INET6, buffer, address.bytes.data()) == 1) {
    address.family = Family::v6;
    return address;
  }
  return std::nullopt;
}

namespace {
constexpr std::uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
constexpr int kMappedPrefixBits = 96;
}  // namespace

bool IpAddress::is_v4_mapped() const {
  return family == Family::v6 && std::equal(std::begin(kMappedPrefix), std::end(kMappedPrefix), bytes.begin());
}

IpAddress IpAddress::unmapped() const {
  if (!is_v4_mapped()) return *this;
  IpAddress v4;
  v4.family = Family::v4;
  std::copy_n(bytes.begin() + 12, 4, v4.bytes.begin());
  return v4;
}

IpAddress IpAddress::masked(int prefix) const {
  IpAddress result = *this;
  const int bytes_total = bit_count() / 8;
  for (int i = 0; i < bytes_total; ++i) {
    const int keep = prefix - i * 8;
    if (keep >= 8) continue;
    result.bytes[i] = keep <= 0 ? 0 : static_cast<std::uint8_t>(bytes[i] & (0xFF << (8 - keep)));
  }
  return result;
}

bool IpAddress::same_prefix(const IpAddress& other, int prefix) const {
  return family == other.family && masked(prefix) == other.masked(prefix);
}

std::string IpAddress::to_string() const {
  char buffer[INET6_ADDRSTRLEN];
  inet_ntop(family == Family::v4 ? AF_INET : AF_INET6, bytes.data(), buffer, sizeof buffer);
  return buffer;
}

std::string IpAddress::to_expanded_string() const {
  if (family == Family::v4) return to_string();
  std::string text;
  text.reserve(39);
  for (int group = 0; group < 8; ++group) {
    if (group) text.push_back(':');
    const unsigned value = (bytes[group * 2] << 8) | bytes[group * 2 + 1];
    fmt::format_to(std::back_inserter(text), "{:x}", value);
  }
  return text;
}

bool IpNetwork::contains(const IpAddress& candidate) const {
  const IpAddress peer = candidate.unmapped();
  if (peer.family == address.family) return address.same_prefix(peer, prefix);
  // ::ffff:192.0.2.0/120, written in the mapped form, is the IPv4 network 192.0.2.0/24.
  if (prefix >= kMappedPrefixBits && address.is_v4_mapped()) {
    return address.unmapped().same_prefix(peer, prefix - kMappedPrefixBits);
  }
  return false;
}

std::optional<IpNetwork> IpNetwork::parse(std::string_view text) {
  const std::size_t slash = text.find('/');
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  int prefix = address->bit_count();
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || prefix < 0 ||
        prefix > address->bit_count()) {
      return std::nullopt;
    }
  }
  return IpNetwork{address->masked(prefix), prefix};
}

}  // namespace grayling
