#include "grayling/spf/address_names.hpp"

#include <algorithm>

#include "grayling/spf/domain_name.hpp"

namespace grayling::spf {

std::string dotted_address(const IpAddress& address) {
  if (address.family == IpAddress::Family::v4) return address.to_string();
  constexpr char kHex[] = "0123456789ABCDEF";
  std::string text;
  text.reserve(63);
  for (const std::uint8_t byte : address.bytes) {
    if (!text.empty()) text.push_back('.');
    text.push_back(kHex[byte >> 4]);
    text.push_back('.');
    text.push_back(kHex[byte & 0x0f]);
  }
  return text;
}

std::string_view reverse_zone_label(const IpAddress& address) {
  return address.family == IpAddress::Family::v4 ? "in-addr" : "ip6";
}

std::string reverse_lookup_name(const IpAddress& address) {
  std::string name;
  const std::string forward = dotted_address(address);
  // Reversing the dotted parts: walk them from the right.
  std::size_t end = forward.size();
  while (true) {
    const std::size_t dot = forward.rfind('.', end - 1);
    const std::size_t start = dot == std::string::npos ? 0 : dot + 1;
    name.append(forward, start, end - start).push_back('.');
    if (dot == std::string::npos) break;
    end = dot;
  }
  name.append(reverse_zone_label(address)).append(".arpa");
  return to_lower(name);
}

}  // namespace grayling::spf
