#include "trace_providers.hpp"

#include <fmt/format.h>

#include "addresses.hpp"

namespace delivery {

using grayling::IpNetwork;

namespace {

/// `count` random networks of length `prefix`, each inside one of `blocks` (in turn).
std::vector<IpNetwork> subnets(const std::vector<IpNetwork>& blocks, std::size_t count, int prefix, Random& random) {
  std::vector<IpNetwork> out;
  while (out.size() < count) {
    const IpNetwork candidate = random_subnet(blocks[out.size() % blocks.size()], prefix, random);
    bool taken = false;
    for (const auto& existing : out) taken = taken || existing == candidate;
    if (!taken) out.push_back(candidate);
  }
  return out;
}

std::vector<IpNetwork> networks(std::initializer_list<std::string_view> texts) {
  std::vector<IpNetwork> out;
  for (const auto text : texts) out.push_back(network(text));
  return out;
}

SpfRecord ip_terms(const std::vector<IpNetwork>& networks) {
  SpfRecord record;
  for (const auto& n : networks) record.push_back(SpfTerm::ip(n));
  return record;
}

std::int32_t add_pool(Trace& trace, std::string label, std::vector<IpNetwork> networks, std::string helo,
                      NameStyle style, const std::string& suffix, double unnamed_share) {
  for (const auto& n : networks) trace.dns.name_block(n, style, suffix, unnamed_share);
  trace.pools.push_back({std::move(label), std::move(networks), std::move(helo)});
  return static_cast<std::int32_t>(trace.pools.size() - 1);
}

}  // namespace

Providers add_providers(Trace& trace, Random& random) {
  Providers providers;

  // Exchange Online: ~30 IPv4 /24s and 8 IPv6 /64s, a quarter of the addresses without
  // forward-confirmed names; tenants' SPF includes spf.protection.outlook.com (/14–/17 and
  // /48 entries, all narrow enough).
  const auto exo_v4 = networks({"40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17"});
  const auto exo_v6 = networks({"2a01:111:f400::/48", "2a01:111:f403::/48"});
  auto exo = subnets(exo_v4, 30, 24, random);
  for (const auto& n : subnets({network("2a01:111:f403::/48")}, 8, 64, random)) exo.push_back(n);
  providers.exchange =
      add_pool(trace, "Exchange Online", std::move(exo), "EUR05-AM6-obe.outbound.protection.outlook.com",
               NameStyle::outlook, "outbound.protection.outlook.com", 0.25);
  providers.exchange_spf = "spf.protection.outlook.com";
  SpfRecord exo_record = ip_terms(exo_v4);
  for (const auto& n : exo_v6) exo_record.push_back(SpfTerm::ip(n));
  trace.dns.set_spf(providers.exchange_spf, std::move(exo_record));
  for (const char* consumer : {"outlook.com", "hotmail.com"}) {
    trace.dns.set_spf(consumer, {SpfTerm::include(providers.exchange_spf)});
  }

  // Amazon SES: /24s of its published ranges; its return paths are @amazonses.com.
  const auto ses_blocks = networks({"54.240.0.0/18", "69.169.224.0/20", "23.251.224.0/19"});
  providers.ses = add_pool(trace, "SES", subnets(ses_blocks, 12, 24, random), "a.smtp-out.amazonses.com",
                           NameStyle::amazonses, "amazonses.com", 0.0);
  SpfRecord ses_record = ip_terms(ses_blocks);
  for (const auto& n : networks({"23.249.208.0/20", "76.223.176.0/20"})) ses_record.push_back(SpfTerm::ip(n));
  trace.dns.set_spf("amazonses.com", std::move(ses_record));

  const auto mailchimp_blocks = networks({"198.2.128.0/18", "205.201.128.0/20", "148.105.8.0/21"});
  providers.mailchimp = add_pool(trace, "Mailchimp", subnets(mailchimp_blocks, 8, 24, random), "mail.mcsv.net",
                                 NameStyle::mailchimp, "mcsv.net", 0.0);
  trace.dns.set_spf("mcsv.net", ip_terms(mailchimp_blocks));

  // Gateways: a handful of /24s each. Proofpoint and Mimecast names are on the shipped
  // whitelist; mailspamprotection.com (postgrey issue #82) is not.
  const auto proofpoint_blocks = networks({"148.163.128.0/17", "67.231.144.0/20"});
  providers.gateways.push_back(add_pool(trace, "Proofpoint-like", subnets(proofpoint_blocks, 5, 24, random),
                                        "mx0a.pphosted.com", NameStyle::pphosted, "pphosted.com", 0.0));
  providers.gateway_spf.push_back("_spf.pphosted.com");
  trace.dns.set_spf("_spf.pphosted.com", ip_terms(proofpoint_blocks));

  auto mimecast = networks({"205.139.110.0/24", "207.211.30.0/24", "170.10.128.0/24", "170.10.129.0/24"});
  providers.gateways.push_back(
      add_pool(trace, "Mimecast-like", mimecast, "relay.mimecast.com", NameStyle::mimecast, "mimecast.com", 0.0));
  providers.gateway_spf.push_back("_netblocks.mimecast.com");
  mimecast.push_back(network("170.10.132.0/22"));
  trace.dns.set_spf("_netblocks.mimecast.com", ip_terms(mimecast));

  auto msp = subnets({network("35.214.0.0/16")}, 5, 24, random);
  providers.gateways.push_back(add_pool(trace, "mailspamprotection-like", msp, "mailspamprotection.com",
                                        NameStyle::mailspamprotection, "mailspamprotection.com", 0.0));
  providers.gateway_spf.push_back("_spf.mailspamprotection.com");
  trace.dns.set_spf("_spf.mailspamprotection.com", ip_terms(msp));

  // A hoster whose servers have proper names; snowshoe domains authorise its /24s by SPF.
  auto hoster = subnets({network("45.61.128.0/17")}, 10, 24, random);
  providers.hoster =
      add_pool(trace, "VPS hoster", hoster, "localhost", NameStyle::hosting, "cloudvps-hosting.net", 0.0);
  for (int i = 1; i <= 20; ++i) {
    static constexpr const char* kWords[] = {"deals", "promo", "offers", "savings", "bonus"};
    std::string domain = fmt::format("{}-{}.{}", kWords[i % 5], random.between(10, 999), i % 2 ? "biz" : "info");
    trace.dns.set_spf(domain, ip_terms(hoster));
    providers.snowshoe_domains.push_back(std::move(domain));
  }

  // Residential lines: a few ISPs' large blocks; most lines have no forward-confirmed name,
  // the rest a generic dynamic one.
  static constexpr std::pair<const char*, const char*> kIsps[] = {
      {"83.0.0.0/13", "broadband-one.net"}, {"89.64.0.0/13", "kabelnetz.de"},   {"93.128.0.0/12", "fibrelink.co.uk"},
      {"109.160.0.0/12", "telenord.fr"},    {"177.16.0.0/12", "netvia.com.br"}, {"187.0.0.0/12", "adsl-hub.com.mx"},
  };
  std::vector<IpNetwork> lines;
  for (const auto& [block, isp] : kIsps) {
    lines.push_back(network(block));
    trace.dns.name_block(lines.back(), NameStyle::dynamic, isp, 0.6);
  }
  trace.pools.push_back({"residential lines", std::move(lines), "localhost"});
  providers.botnet = static_cast<std::int32_t>(trace.pools.size() - 1);
  return providers;
}

}  // namespace delivery
