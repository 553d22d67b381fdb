#include "addresses.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace delivery {

using grayling::IpAddress;
using grayling::IpNetwork;

IpNetwork network(std::string_view text) {
  const auto parsed = IpNetwork::parse(text);
  if (!parsed) throw std::invalid_argument("bad network literal: " + std::string(text));
  return *parsed;
}

IpAddress address(std::string_view text) {
  const auto parsed = IpAddress::parse(text);
  if (!parsed) throw std::invalid_argument("bad address literal: " + std::string(text));
  return *parsed;
}

IpAddress random_address_in(const IpNetwork& within, Random& random) {
  IpAddress result = within.address;
  const int bytes = result.bit_count() / 8;
  for (int i = 0; i < bytes; ++i) {
    const int fixed_bits = std::clamp(within.prefix - 8 * i, 0, 8);
    const auto host_mask = static_cast<std::uint8_t>(0xFF >> fixed_bits);
    auto& byte = result.bytes[static_cast<std::size_t>(i)];
    byte = static_cast<std::uint8_t>((byte & ~host_mask) | (random.next() & host_mask));
  }
  // A network or broadcast address as a mail client would look like a bug in the trace.
  if (result.family == IpAddress::Family::v4 && within.prefix <= 24) {
    result.bytes[3] = static_cast<std::uint8_t>(random.between(1, 254));
  }
  return result;
}

IpNetwork random_subnet(const IpNetwork& within, int prefix, Random& random) {
  return IpNetwork{random_address_in(within, random).masked(prefix), prefix};
}

std::uint64_t address_hash(const IpAddress& address) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  const int bytes = address.bit_count() / 8;
  for (int i = 0; i < bytes; ++i) {
    hash ^= address.bytes[static_cast<std::size_t>(i)];
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

}  // namespace delivery
