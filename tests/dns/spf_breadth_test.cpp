// Which SPF passes name the sender's own servers (names_the_senders_servers), over real
// checks against test zones: not +all, not a network wider than IPv4 /12 or IPv6 /32, not
// a record whose networks add up to more than that, and not ptr or exists, whose breadth
// a check cannot know.
#include <gtest/gtest.h>

#include "grayling/dns/spf_authority.hpp"
#include "grayling/spf/evaluate.hpp"
#include "spf/test_zone.hpp"

namespace grayling::dns {
namespace {

using spf::DnsType;
using spf::test::TestZone;

/// The check's result for `client` and `sender`, and whether it counts for equivalence.
bool counts(const TestZone& zone, const std::string& client, const std::string& sender) {
  const spf::Result result = spf::test::run_check(zone, client, sender).result;
  EXPECT_EQ(result.code, spf::Code::pass) << client << " " << sender << ": " << result.problem;
  return names_the_senders_servers(result);
}

/// A record of `count` ip4 networks of /`prefix`, from 10.0.0.0 on, then -all.
std::string networks(int count, int prefix) {
  std::string record = "v=spf1";
  const std::uint32_t step = std::uint32_t{1} << (32 - prefix);
  for (int i = 0; i < count; ++i) {
    const std::uint32_t base = (10u << 24) + static_cast<std::uint32_t>(i) * step;
    record += " ip4:" + std::to_string(base >> 24) + "." + std::to_string((base >> 16) & 255) + "." +
              std::to_string((base >> 8) & 255) + ".0/" + std::to_string(prefix);
  }
  return record + " -all";
}

TEST(SpfBreadthRule, NarrowNetworksCountBroadOnesDoNot) {
  TestZone zone;
  zone.add(DnsType::txt, "pool.example", "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/48 -all")
      .add(DnsType::txt, "slash12.example", "v=spf1 ip4:16.0.0.0/12 -all")
      .add(DnsType::txt, "slash8.example", "v=spf1 ip4:10.0.0.0/8 -all")
      .add(DnsType::txt, "all.example", "v=spf1 +all");
  EXPECT_TRUE(counts(zone, "192.0.2.1", "a@pool.example"));
  EXPECT_TRUE(counts(zone, "2001:db8::1", "a@pool.example"));
  EXPECT_TRUE(counts(zone, "16.1.2.3", "a@slash12.example"));
  EXPECT_FALSE(counts(zone, "10.1.2.3", "a@slash8.example"));
  EXPECT_FALSE(counts(zone, "192.0.2.1", "a@all.example"));
}

// ptr:isp.net passes every line of that ISP with a name; nothing in the check says how
// many that is.
TEST(SpfBreadthRule, PtrDoesNotCount) {
  TestZone zone;
  zone.add(DnsType::txt, "own.example", "v=spf1 ptr -all")
      .add(DnsType::txt, "tld.example", "v=spf1 ptr:isp.net -all")
      .add(DnsType::ptr, "1.2.0.192.in-addr.arpa", "mail.own.example.")
      .add(DnsType::a, "mail.own.example", "192.0.2.1")
      .add(DnsType::ptr, "9.113.0.203.in-addr.arpa", "dyn-203-0-113-9.isp.net.")
      .add(DnsType::a, "dyn-203-0-113-9.isp.net", "203.0.113.9");
  EXPECT_FALSE(counts(zone, "192.0.2.1", "a@own.example"));
  EXPECT_FALSE(counts(zone, "203.0.113.9", "a@tld.example"));
}

// exists:%{i}.… names the client, but a wildcard under it answers for every address.
TEST(SpfBreadthRule, ExistsDoesNotCountWithOrWithoutAMacro) {
  TestZone zone;
  zone.add(DnsType::txt, "listed.example", "v=spf1 exists:%{i}._spf.listed.example -all")
      .add(DnsType::a, "192.0.2.1._spf.listed.example", "127.0.0.2")
      .add(DnsType::txt, "wildcard.example", "v=spf1 exists:%{i}.any.wildcard.example -all")
      .add(DnsType::a, "203.0.113.9.any.wildcard.example", "127.0.0.2")  // as "*.any" answers
      .add(DnsType::txt, "fixed.example", "v=spf1 exists:fixed.example -all")
      .add(DnsType::a, "fixed.example", "127.0.0.2");
  EXPECT_FALSE(counts(zone, "192.0.2.1", "a@listed.example"));
  EXPECT_FALSE(counts(zone, "203.0.113.9", "a@wildcard.example"));
  EXPECT_FALSE(counts(zone, "192.0.2.1", "a@fixed.example"));
}

// Many networks each narrow enough add up: 4,096 /12s are the whole of IPv4.
TEST(SpfBreadthRule, TheRecordsNetworksAddUp) {
  TestZone zone;
  zone.add(DnsType::txt, "two.example", networks(2, 13))     // 2 × 2^19 = a /12's worth: counts
      .add(DnsType::txt, "three.example", networks(3, 13))  // 3 × 2^19: too broad
      .add(DnsType::txt, "many.example", networks(64, 16));  // 64 × 2^16 = 2^22: too broad
  EXPECT_TRUE(counts(zone, "10.0.0.1", "a@two.example"));
  EXPECT_FALSE(counts(zone, "10.0.0.1", "a@three.example")) << "even by the first network";
  EXPECT_FALSE(counts(zone, "10.0.0.1", "a@many.example"));
}

// The records on the way to the mechanism that matched add up (an include's networks and
// those of the record that includes it), and a and mx count with their cidr-length.
TEST(SpfBreadthRule, IncludesAndAddressMechanismsAddUp) {
  TestZone zone;
  zone.add(DnsType::txt, "outer.example", "v=spf1 ip4:11.0.0.0/13 include:inner.example -all")
      .add(DnsType::txt, "inner.example", networks(2, 13))
      .add(DnsType::txt, "a13.example", "v=spf1 a/13 -all")
      .add(DnsType::a, "a13.example", "10.0.0.1")
      .add(DnsType::a, "a13.example", "10.8.0.1")
      .add(DnsType::a, "a13.example", "10.16.0.1")
      .add(DnsType::txt, "a24.example", "v=spf1 a/24 mx -all")
      .add(DnsType::a, "a24.example", "192.0.2.1");
  EXPECT_TRUE(counts(zone, "10.0.0.1", "a@inner.example"));
  EXPECT_FALSE(counts(zone, "10.0.0.1", "a@outer.example"));
  EXPECT_FALSE(counts(zone, "10.0.0.1", "a@a13.example"));
  EXPECT_TRUE(counts(zone, "192.0.2.9", "a@a24.example"));
}

// Only the records on the way count: a domain that includes several big providers (each
// well under the limit) still counts for each of them; only pass directives count.
TEST(SpfBreadthRule, SiblingIncludesAndNonPassDirectivesDoNotAddUp) {
  TestZone zone;
  zone.add(DnsType::txt, "tenant.example", "v=spf1 include:one.example include:two.example ip4:192.0.2.0/24 -all")
      .add(DnsType::txt, "one.example", "v=spf1 ip4:11.0.0.0/13 -all")  // with two's: a /12's worth and more
      .add(DnsType::txt, "two.example", networks(1, 13))
      .add(DnsType::txt, "except.example", "v=spf1 -ip4:10.0.0.0/8 ?ip4:11.0.0.0/8 ip4:192.0.2.0/24 -all");
  EXPECT_TRUE(counts(zone, "10.0.0.1", "a@tenant.example"));
  EXPECT_TRUE(counts(zone, "192.0.2.1", "a@tenant.example"));
  EXPECT_TRUE(counts(zone, "192.0.2.1", "a@except.example"));
}

TEST(SpfBreadthRule, Ipv6NetworksAddUpToA32) {
  TestZone zone;
  zone.add(DnsType::txt, "two.example", "v=spf1 ip6:2001:db8::/33 ip6:2001:db8:8000::/33 -all")
      .add(DnsType::txt, "three.example", "v=spf1 ip6:2001:db8::/33 ip6:2001:db8:8000::/33 ip6:2001:db9::/33 -all");
  EXPECT_TRUE(counts(zone, "2001:db8::1", "a@two.example"));
  EXPECT_FALSE(counts(zone, "2001:db8::1", "a@three.example"));
}

// Records of the shape big senders publish (Exchange Online's, Google's netblocks): well
// under the limit, also together in one tenant's record.
TEST(SpfBreadthRule, RealPoolsCount) {
  TestZone zone;
  zone.add(DnsType::txt, "spf.protection.outlook.com",
           "v=spf1 ip4:40.92.0.0/15 ip4:40.107.0.0/16 ip4:52.100.0.0/15 ip4:52.102.0.0/16 ip4:52.103.0.0/17 "
           "ip4:104.47.0.0/17 ip6:2a01:111:f400::/48 ip6:2a01:111:f403::/49 ip6:2a01:111:f403:8000::/51 "
           "ip6:2a01:111:f403:c000::/51 ip6:2a01:111:f403:f000::/52 -all")
      .add(DnsType::txt, "_netblocks.google.com",
           "v=spf1 ip4:35.190.247.0/24 ip4:64.233.160.0/19 ip4:66.102.0.0/20 ip4:66.249.80.0/20 ip4:72.14.192.0/18 "
           "ip4:74.125.0.0/16 ip4:108.177.8.0/21 ip4:173.194.0.0/16 ip4:209.85.128.0/17 ip4:216.58.192.0/19 "
           "ip4:216.239.32.0/19 ~all")
      .add(DnsType::txt, "tenant.example",
           "v=spf1 include:spf.protection.outlook.com include:_netblocks.google.com -all");
  EXPECT_TRUE(counts(zone, "52.103.1.1", "a@tenant.example"));
  EXPECT_TRUE(counts(zone, "2a01:111:f403:f000::1", "a@tenant.example"));
  EXPECT_TRUE(counts(zone, "209.85.200.1", "a@tenant.example"));
}

}  // namespace
}  // namespace grayling::dns
