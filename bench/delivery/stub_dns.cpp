#include "stub_dns.hpp"

#include <fmt/format.h>

#include "addresses.hpp"

namespace delivery {

using grayling::IpAddress;

void StubDns::set_spf(std::string domain, SpfRecord record) { spf_[std::move(domain)] = std::move(record); }

const SpfRecord* StubDns::spf(std::string_view domain) const {
  const auto found = spf_.find(std::string(domain));
  return found == spf_.end() ? nullptr : &found->second;
}

void StubDns::name_host(const IpAddress& host, std::string name) {
  host_names_[host.to_expanded_string()] = std::move(name);
}

void StubDns::name_block(grayling::IpNetwork block, NameStyle style, std::string suffix, double unnamed_share) {
  blocks_.push_back({block, style, std::move(suffix), unnamed_share});
}

std::optional<std::string> StubDns::verified_name(const IpAddress& address) const {
  if (const auto host = host_names_.find(address.to_expanded_string()); host != host_names_.end()) return host->second;
  for (const auto& block : blocks_) {
    if (!block.network.contains(address)) continue;
    // By address, so an address keeps or lacks its name on every attempt.
    if (static_cast<double>(address_hash(address) % 10000) < block.unnamed_share * 10000) return std::nullopt;
    return pool_host_name(block.style, address, block.suffix);
  }
  return std::nullopt;
}

std::string pool_host_name(NameStyle style, const IpAddress& address, std::string_view suffix) {
  const std::uint64_t hash = address_hash(address);
  const auto& b = address.bytes;
  const bool v4 = address.family == IpAddress::Family::v4;
  // IPv6 pool addresses have no octets to show: the hash stands in for them.
  const unsigned third = v4 ? b[2] : static_cast<unsigned>(hash % 256);
  const unsigned fourth = v4 ? b[3] : static_cast<unsigned>((hash >> 8) % 256);
  switch (style) {
    case NameStyle::outlook: {
      static constexpr const char* kRegions[] = {"am6", "db8", "he1", "vi1", "fr2", "ve1"};
      return fmt::format("mail-{}eur0{}on{}.{}", kRegions[hash % 6], (hash >> 4) % 6 + 1, 2000 + (hash >> 8) % 8000,
                         suffix);
    }
    case NameStyle::amazonses:
      return fmt::format("a{}-{}.smtp-out.{}", third, fourth, suffix);
    case NameStyle::mailchimp:
      return fmt::format("mail{}.atl{}.{}", fourth, third % 200, suffix);
    case NameStyle::pphosted:
      return fmt::format("mx0{}-00{:06}.{}", (hash & 1) ? 'a' : 'b', (hash >> 1) % 1000000, suffix);
    case NameStyle::mimecast:
      return fmt::format("{}-smtp-{}.{}", (hash & 1) ? "eu" : "us", fourth, suffix);
    case NameStyle::mailspamprotection:
      return fmt::format("se{}.{}", hash % 40 + 1, suffix);
    case NameStyle::hosting:
      return fmt::format("vps{:05}.{}", hash % 100000, suffix);
    case NameStyle::dynamic:
      if (!v4) return fmt::format("dyn-{:012x}.{}", hash & 0xffffffffffffULL, suffix);
      return (hash & 1) ? fmt::format("host-{}-{}-{}-{}.dyn.{}", b[0], b[1], b[2], b[3], suffix)
                        : fmt::format("{}-{}-{}-{}.cable.{}", b[3], b[2], b[1], b[0], suffix);
  }
  return std::string(suffix);
}

}  // namespace delivery
