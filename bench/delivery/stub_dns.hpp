#pragma once
/// The trace's DNS, answered from memory: the SPF records of its domains and the verified
/// (forward-confirmed reverse) names of its addresses.

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "grayling/core/ip_address.hpp"

namespace delivery {

/// One "+" mechanism of an SPF record: what can authorise a client.
struct SpfTerm {
  enum class Kind : std::uint8_t { ip, include, all, ptr, exists };
  Kind kind = Kind::ip;
  grayling::IpNetwork network;  // ip4: / ip6:
  std::string domain;           // include: the record to evaluate; ptr: the name suffix
  // exists: with a %{i} macro the name names the client, so the zone answers for listed
  // addresses only; without one it answers for everyone.
  bool client_macro = false;
  std::vector<grayling::IpAddress> listed;

  static SpfTerm ip(grayling::IpNetwork network) { return {Kind::ip, network, {}, false, {}}; }
  static SpfTerm include(std::string domain) { return {Kind::include, {}, std::move(domain), false, {}}; }
  static SpfTerm all() { return {Kind::all, {}, {}, false, {}}; }
  static SpfTerm ptr(std::string domain) { return {Kind::ptr, {}, std::move(domain), false, {}}; }
  static SpfTerm exists(bool client_macro, std::vector<grayling::IpAddress> listed) {
    return {Kind::exists, {}, {}, client_macro, std::move(listed)};
  }
};

/// A record's terms in order; an implicit "-all" ends it.
using SpfRecord = std::vector<SpfTerm>;

/// How the names of a pool's addresses are made (each provider has its own pattern).
enum class NameStyle : std::uint8_t {
  outlook,             // mail-am6eur05on2070.outbound.protection.outlook.com
  amazonses,           // a8-30.smtp-out.amazonses.com (two of the octets)
  mailchimp,           // mail30.atl8.mcsv.net
  pphosted,            // mx0b-00123456.pphosted.com
  mimecast,            // eu-smtp-30.mimecast.com
  mailspamprotection,  // se12.mailspamprotection.com
  hosting,             // vps12345.<suffix>: a hoster's servers
  dynamic,             // host-81-2-3-4.dyn.<suffix>: residential lines
};

/// SPF records and verified names of the trace.
class StubDns {
 public:
  void set_spf(std::string domain, SpfRecord record);
  /// The domain's record, or null when it publishes none.
  [[nodiscard]] const SpfRecord* spf(std::string_view domain) const;

  /// A server's forward-confirmed name.
  void name_host(const grayling::IpAddress& host, std::string name);
  /// Names for every address of a pool block; a stable `unnamed_share` of them (by address)
  /// have no forward-confirmed name.
  void name_block(grayling::IpNetwork block, NameStyle style, std::string suffix, double unnamed_share);

  /// The forward-confirmed name of an address (Postfix's client_name); nullopt: "unknown".
  [[nodiscard]] std::optional<std::string> verified_name(const grayling::IpAddress& address) const;

 private:
  struct NamedBlock {
    grayling::IpNetwork network;
    NameStyle style;
    std::string suffix;
    double unnamed_share;
  };

  std::unordered_map<std::string, SpfRecord> spf_;
  std::unordered_map<std::string, std::string> host_names_;  // by expanded address text
  std::vector<NamedBlock> blocks_;
};

/// The name a pool of `style` gives `address`, under `suffix` (the provider's domain).
[[nodiscard]] std::string pool_host_name(NameStyle style, const grayling::IpAddress& address, std::string_view suffix);

}  // namespace delivery
