#include "verified_name.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "grayling/core/triplet_key.hpp"

namespace delivery {

namespace {

constexpr std::array<std::string_view, 24> kTwoLabelSuffixes{
    "co.uk",  "org.uk", "ac.uk", "gov.uk", "me.uk", "ltd.uk", "plc.uk", "com.au", "net.au", "org.au", "edu.au", "co.nz",
    "org.nz", "co.jp",  "ne.jp", "or.jp",  "co.za", "com.br", "com.cn", "com.mx", "co.in",  "com.tr", "com.sg", "co.kr",
};

constexpr std::array<std::string_view, 22> kDynamicKeywords{
    "dyn",  "dynamic", "dynip", "dhcp",      "dialup", "dial",   "ppp",     "pppoe",    "dsl",  "adsl",        "vdsl",
    "xdsl", "cable",   "cpe",   "broadband", "pool",   "client", "clients", "customer", "cust", "residential", "home",
};

std::vector<std::string_view> split_any(std::string_view text, std::string_view separators) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || separators.find(text[i]) != std::string_view::npos) {
      if (i > start) parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<std::string> registrable_domain(std::string_view host) {
  std::string name = grayling::ascii_lower(host);
  while (!name.empty() && name.back() == '.') name.pop_back();
  const auto labels = split_any(name, ".");
  if (labels.size() < 2) return std::nullopt;
  const std::string last_two = std::string(labels[labels.size() - 2]) + "." + std::string(labels.back());
  const bool two_label_suffix =
      std::find(kTwoLabelSuffixes.begin(), kTwoLabelSuffixes.end(), last_two) != kTwoLabelSuffixes.end();
  if (!two_label_suffix) return last_two;
  if (labels.size() < 3) return std::nullopt;
  return std::string(labels[labels.size() - 3]) + "." + last_two;
}

bool looks_dynamic(std::string_view host, const grayling::IpAddress& address) {
  const std::string name = grayling::ascii_lower(host);
  const auto domain = registrable_domain(name);
  // Only the host's own labels: a company called dynamic-solutions.com is not a DSL line.
  const std::string_view own = domain && name.size() > domain->size()
                                   ? std::string_view(name).substr(0, name.size() - domain->size() - 1)
                                   : std::string_view(name);
  const auto tokens = split_any(own, ".-_");
  for (const auto token : tokens) {
    if (std::find(kDynamicKeywords.begin(), kDynamicKeywords.end(), token) != kDynamicKeywords.end()) return true;
  }
  if (address.family != grayling::IpAddress::Family::v4) return false;
  std::array<bool, 4> octet_seen{};
  int octets = 0;
  for (std::size_t i = 0; i < own.size();) {
    if (!is_digit(own[i])) {
      ++i;
      continue;
    }
    std::size_t end = i;
    int value = 0;
    while (end < own.size() && is_digit(own[end]) && value <= 255) value = value * 10 + (own[end++] - '0');
    while (end < own.size() && is_digit(own[end])) ++end;  // a longer number is no octet
    for (std::size_t k = 0; k < 4 && end - i <= 3; ++k) {
      if (!octet_seen[k] && address.bytes[k] == value) {
        octet_seen[k] = true;
        ++octets;
        break;
      }
    }
    i = end;
  }
  return octets >= 3;
}

std::optional<std::string> verified_name_client(std::string_view client_name, const grayling::IpAddress& address) {
  if (client_name.empty() || client_name == "unknown" || looks_dynamic(client_name, address)) return std::nullopt;
  const auto domain = registrable_domain(client_name);
  if (!domain) return std::nullopt;
  return "name:" + *domain;
}

}  // namespace delivery
