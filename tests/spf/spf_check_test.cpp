// Check beyond the conformance suite: how broad the authorisation that decided is, how the
// lookup limits count, which queries are asked together, and the step() contract.
#include <algorithm>
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "grayling/spf/evaluate.hpp"
#include "test_zone.hpp"

namespace grayling::spf::test {
namespace {

using Status = DnsAnswer::Status;

std::string repeat(const std::string& term, int times) {
  std::string terms;
  for (int i = 0; i < times; ++i) terms += " " + term;
  return terms;
}

// --- breadth: which mechanism decided, and how much of the address space it vouched for ---

TEST(SpfBreadth, PlusAllVouchesForTheWholeFamily) {
  TestZone zone;
  zone.add(DnsType::txt, "example.org", "v=spf1 +all");
  const Result v4 = run_check(zone, "192.0.2.1", "a@example.org").result;
  ASSERT_EQ(v4.code, Code::pass);
  ASSERT_TRUE(v4.matched);
  EXPECT_EQ(v4.matched->mechanism, MechanismKind::all);
  EXPECT_EQ(v4.matched->prefix_length(), 0);
  EXPECT_EQ(v4.matched->network, IpNetwork::parse("0.0.0.0/0"));
  EXPECT_EQ(v4.matched->term, "+all");
  EXPECT_EQ(v4.matched->domain, "example.org");
  EXPECT_TRUE(v4.matched->includes.empty());

  const Result v6 = run_check(zone, "2001:db8::1", "a@example.org").result;
  ASSERT_TRUE(v6.matched);
  EXPECT_EQ(v6.matched->network, IpNetwork::parse("::/0"));
}

TEST(SpfBreadth, Ip4Slash8IsReportedAsSuch) {
  TestZone zone;
  zone.add(DnsType::txt, "example.org", "v=spf1 ip4:192.0.2.0/24 ip4:10.0.0.0/8 -all");
  const Result result = run_check(zone, "10.20.30.40", "a@example.org").result;
  ASSERT_EQ(result.code, Code::pass);
  ASSERT_TRUE(result.matched);
  EXPECT_EQ(result.matched->mechanism, MechanismKind::ip4);
  EXPECT_EQ(result.matched->prefix_length(), 8);
  EXPECT_EQ(result.matched->network, IpNetwork::parse("10.0.0.0/8"));
  EXPECT_EQ(result.matched->term, "ip4:10.0.0.0/8");
}

TEST(SpfBreadth, Ip6NetworkAndHost) {
  TestZone zone;
  zone.add(DnsType::txt, "example.org", "v=spf1 ip6:2001:db8:1::/48 ip6:2001:db8:2::25 -all");
  EXPECT_EQ(run_check(zone, "2001:db8:1:ff::1", "a@example.org").result.matched->prefix_length(), 48);
  EXPECT_EQ(run_check(zone, "2001:db8:2::25", "a@example.org").result.matched->prefix_length(), 128);
}

TEST(SpfBreadth, IncludeReportsTheMechanismInsideAndTheWayThere) {
  TestZone zone;
  zone.add(DnsType::txt, "example.org", "v=spf1 include:_spf.example.org -all")
      .add(DnsType::txt, "_spf.example.org", "v=spf1 ip4:198.51.100.0/24 include:_netblocks.example.net ~all")
      .add(DnsType::txt, "_netblocks.example.net", "v=spf1 ip6:2001:db8::/32 ip4:192.0.2.0/24 -all");
  const Result result = run_check(zone, "192.0.2.77", "a@example.org").result;
  ASSERT_EQ(result.code, Code::pass);
  EXPECT_EQ(result.domain, "example.org");
  ASSERT_TRUE(result.matched);
  EXPECT_EQ(result.matched->mechanism, MechanismKind::ip4);
  EXPECT_EQ(result.matched->network, IpNetwork::parse("192.0.2.0/24"));
  EXPECT_EQ(result.matched->domain, "_netblocks.example.net");
  EXPECT_EQ(result.matched->includes, (std::vector<std::string>{"_spf.example.org", "_netblocks.example.net"}));
}

TEST(SpfBreadth, IncludedPlusAllIsStillAll) {
  TestZone zone;
  zone.add(DnsType::txt, "example.org", "v=spf1 include:lazy.example.net -all")
      .add(DnsType::txt, "lazy.example.net", "v=spf1 +all");
  const Result result = run_check(zone, "203.0.113.9", "a@example.org").result;
  ASSERT_EQ(result.code, Code::pass);
  EXPECT_EQ(result.matched->mechanism, MechanismKind::all);
  EXPECT_EQ(result.matched->prefix_length(), 0);
}

TEST(SpfBreadth, FailThroughIncludeTakesTheOuterQualifier) {
  TestZone zone;
  zone.add(DnsType::txt, "example.org", "v=spf1 -include:bad.example.net +all")
      .add(DnsType::txt, "bad.example.net", "v=spf1 ip4:203.0.113.0/25 -all");
  const Result result = run_check(zone, "203.0.113.9", "a@example.org").result;
  EXPECT_EQ(result.code, Code::fail);
  EXPECT_EQ(result.matched->mechanism, MechanismKind::ip4);
  EXPECT_EQ(result.matched->prefix_length(), 25);
}

TEST(SpfBreadth, AWithCidrWidensTheAddressFound) {
  TestZone zone;
  zone.add(DnsType::txt, "example.org", "v=spf1 a:mail.example.org/24 -all")
      .add(DnsType::a, "mail.example.org", "198.51.100.1")
      .add(DnsType::a, "mail.example.org", "192.0.2.10");
  const Result result = run_check(zone, "192.0.2.200", "a@example.org").result;
  ASSERT_EQ(result.code, Code::pass);
  EXPECT_EQ(result.matched->mechanism, MechanismKind::a);
  EXPECT_EQ(result.matched->network, IpNetwork::parse("192.0.2.0/24"));
}

TEST(SpfBreadth, ADualCidrAppliesTheClientsFamily) {
  TestZone zone;
  zone.add(DnsType::txt, "example.org", "v=spf1 a/24//64 -all")
      .add(DnsType::a, "example.org", "192.0.2.10")
      .add(DnsType::aaaa, "example.org", "2001:db8:5::1");
  EXPECT_EQ(run_check(zone, "192.0.2.99", "a@example.org").result.matched->prefix_length(), 24);
  EXPECT_EQ(run_check(zone, "2001:db8:5::abcd", "a@example.org").result.matched->network,
            IpNetwork::parse("2001:db8:5::/64"));
}

TEST(SpfBreadth, MxWithCidr) {
  TestZone zone;
  zone.add(DnsType::txt, "example.org", "v=spf1 mx/28 -all")
      .add(DnsType::mx, "example.org", "10 mx.example.org")
      .add(DnsType::a, "mx.example.org", "192.0.2.33");
  const Result result = run_check(zone, "192.0.2.40", "a@example.org").result;
  ASSERT_EQ(result.code, Code::pass);
  EXPECT_EQ(result.matched->mechanism, MechanismKind::mx);
  EXPECT_EQ(result.matched->network, IpNetwork::parse("192.0.2.32/28"));
}

TEST(SpfBreadth, PtrAndExistsVouchByNameNotByNetwork) {
  TestZone zone;
  zone.add(DnsType::txt, "example.org", "v=spf1 ptr -all")
      .add(DnsType::ptr, "1.2.0.192.in-addr.arpa", "host.example.org.")
      .add(DnsType::a, "host.example.org", "192.0.2.1")
      .add(DnsType::txt, "example.net", "v=spf1 exists:%{i}.allowed.example.net -all")
      .add(DnsType::a, "192.0.2.1.allowed.example.net", "127.0.0.2");
  const Result ptr = run_check(zone, "192.0.2.1", "a@example.org").result;
  ASSERT_EQ(ptr.code, Code::pass);
  EXPECT_EQ(ptr.matched->mechanism, MechanismKind::ptr);
  EXPECT_FALSE(ptr.matched->network);
  EXPECT_FALSE(ptr.matched->prefix_length());
  const Result exists = run_check(zone, "192.0.2.1", "a@example.net").result;
  ASSERT_EQ(exists.code, Code::pass);
  EXPECT_EQ(exists.matched->mechanism, MechanismKind::exists);
  EXPECT_FALSE(exists.matched->network);
}

TEST(SpfBreadth, RedirectReportsTheTargetsRecord) {
  TestZone zone;
  zone.add(DnsType::txt, "example.org", "v=spf1 redirect=_spf.example.com")
      .add(DnsType::txt, "_spf.example.com", "v=spf1 ip4:192.0.2.0/26 -all");
  const Result result = run_check(zone, "192.0.2.1", "a@example.org").result;
  ASSERT_EQ(result.code, Code::pass);
  EXPECT_EQ(result.domain, "example.org");
  EXPECT_EQ(result.matched->domain, "_spf.example.com");
  EXPECT_TRUE(result.matched->includes.empty());
}

// What the records on the way to the match name together: ip4/ip6 of the client's family
// with a "+" qualifier, whole records; a and mx as far as evaluated, each address widened;
// redirects keep what the record before named; sibling includes passed do not count.
TEST(SpfBreadth, VouchedAddressesAddUpOnTheWayToTheMatch) {
  TestZone zone;
  zone.add(DnsType::txt, "example.org",
           "v=spf1 -ip4:10.0.0.0/8 ip6:2001:db8::/32 include:sibling.example.org a/24 "
           "include:_spf.example.org ip4:198.51.100.0/24 -all")
      .add(DnsType::txt, "sibling.example.org", "v=spf1 ip4:203.0.113.0/24 -all")
      .add(DnsType::a, "example.org", "192.0.2.1")
      .add(DnsType::a, "example.org", "192.0.2.200")
      .add(DnsType::txt, "_spf.example.org", "v=spf1 ip4:192.0.2.128/25 ~ip4:172.16.0.0/12 redirect=_next.example.org")
      .add(DnsType::txt, "_next.example.org", "v=spf1 ip4:100.64.0.0/30 -all");
  const Result result = run_check(zone, "100.64.0.1", "a@example.org").result;
  ASSERT_EQ(result.code, Code::pass);
  // example.org: its /24 and a/24 twice; _spf: its /25; _next: its /30.
  EXPECT_EQ(result.matched->vouched_addresses, 256 + 2 * 256 + 128 + 4);
  const Result v6 = run_check(zone, "2001:db8::1", "a@example.org").result;
  ASSERT_EQ(v6.code, Code::pass);
  EXPECT_EQ(v6.matched->vouched_addresses, std::ldexp(1.0, 96)) << "matched before a/24 is evaluated";
}

TEST(SpfBreadth, NothingMatchedMeansNoMatched) {
  TestZone zone;
  zone.add(DnsType::txt, "example.org", "v=spf1 ip4:192.0.2.0/24")
      .add(DnsType::txt, "broken.example.org", "v=spf1 moo");
  const Result neutral = run_check(zone, "198.51.100.1", "a@example.org").result;
  EXPECT_EQ(neutral.code, Code::neutral);
  EXPECT_FALSE(neutral.matched);
  const Result permerror = run_check(zone, "198.51.100.1", "a@broken.example.org").result;
  EXPECT_EQ(permerror.code, Code::permerror);
  EXPECT_FALSE(permerror.matched);
  EXPECT_NE(permerror.problem.find("moo"), std::string::npos) << permerror.problem;
}

// --- the limits of RFC 7208 4.6.4 ---

TEST(SpfLimits, TenDnsMechanismsPassTheEleventhIsAPermerror) {
  TestZone zone;
  zone.add(DnsType::txt, "ten.example.org", "v=spf1" + repeat("a:x.example.org", 10) + " ip4:192.0.2.1 -all")
      .add(DnsType::txt, "eleven.example.org", "v=spf1" + repeat("a:x.example.org", 11) + " ip4:192.0.2.1 -all")
      .add(DnsType::a, "x.example.org", "198.51.100.1");
  const Result ten = run_check(zone, "192.0.2.1", "a@ten.example.org").result;
  EXPECT_EQ(ten.code, Code::pass);
  EXPECT_EQ(ten.dns_mechanisms, 10);
  const Result eleven = run_check(zone, "192.0.2.1", "a@eleven.example.org").result;
  EXPECT_EQ(eleven.code, Code::permerror);
  EXPECT_EQ(eleven.dns_mechanisms, 11);
}

TEST(SpfLimits, OnlyTermsThatLookUpCountAndOnlyWhenReached) {
  TestZone zone;
  // Twenty ip4 and an all cost nothing; the a terms after the match are never reached.
  zone.add(DnsType::txt, "example.org",
           "v=spf1" + repeat("ip4:198.51.100.1", 20) + repeat("mx", 3) + " ip4:192.0.2.1" + repeat("a", 20) + " -all")
      .add(DnsType::mx, "example.org", "10 mx.example.org")
      .add(DnsType::a, "mx.example.org", "198.51.100.2");
  const Result result = run_check(zone, "192.0.2.1", "a@example.org").result;
  EXPECT_EQ(result.code, Code::pass);
  EXPECT_EQ(result.dns_mechanisms, 3);
}

TEST(SpfLimits, IncludeAndRedirectCountAsDoTheTermsInside) {
  TestZone zone;
  zone.add(DnsType::txt, "example.org", "v=spf1 include:inner.example.org redirect=next.example.org")
      .add(DnsType::txt, "inner.example.org", "v=spf1" + repeat("a:x.example.org", 7))
      .add(DnsType::txt, "next.example.org", "v=spf1 a:x.example.org ip4:192.0.2.1 -all")
      .add(DnsType::a, "x.example.org", "198.51.100.1");
  const Result at_limit = run_check(zone, "192.0.2.1", "a@example.org").result;  // 1 + 7 + 1 + 1
  EXPECT_EQ(at_limit.code, Code::pass);
  EXPECT_EQ(at_limit.dns_mechanisms, 10);

  Options stricter;
  stricter.max_dns_mechanisms = 9;
  EXPECT_EQ(run_check(zone, "192.0.2.1", "a@example.org", "mail.example.net", stricter).result.code, Code::permerror);
}

TEST(SpfLimits, IncludeLoopEndsInPermerror) {
  TestZone zone;
  zone.add(DnsType::txt, "example.org", "v=spf1 include:example.org -all");
  const Result result = run_check(zone, "192.0.2.1", "a@example.org").result;
  EXPECT_EQ(result.code, Code::permerror);
  EXPECT_EQ(result.dns_mechanisms, 11);
}

TEST(SpfLimits, TwoVoidLookupsPassTheThirdIsAPermerror) {
  TestZone zone;
  zone.add(DnsType::txt, "two.example.org", "v=spf1 a:gone1.example.org mx:gone2.example.org ?all")
      .add(DnsType::txt, "three.example.org",
           "v=spf1 a:gone1.example.org mx:gone2.example.org exists:gone3.example.org ?all")
      .add(DnsType::a, "gone2.example.org", "192.0.2.99");  // exists, but has no MX: void too
  const Result two = run_check(zone, "192.0.2.1", "a@two.example.org").result;
  EXPECT_EQ(two.code, Code::neutral);
  EXPECT_EQ(two.void_lookups, 2);
  const Result three = run_check(zone, "192.0.2.1", "a@three.example.org").result;
  EXPECT_EQ(three.code, Code::permerror);
  EXPECT_EQ(three.void_lookups, 3);
}

TEST(SpfLimits, ExplanationLookupsCountAgainstNothing) {
  TestZone zone;
  zone.add(DnsType::txt, "example.org", "v=spf1" + repeat("a:gone.example.org", 2) + repeat("a:x.example.org", 8) +
                                            " -all exp=nowhere.example.org")
      .add(DnsType::a, "x.example.org", "198.51.100.1");
  const Result result = run_check(zone, "192.0.2.1", "a@example.org").result;
  EXPECT_EQ(result.code, Code::fail);
  EXPECT_EQ(result.explanation, "");
  EXPECT_EQ(result.dns_mechanisms, 10);
  EXPECT_EQ(result.void_lookups, 2);
}

TEST(SpfLimits, MoreThanTenMxRecordsIsAPermerrorTenAreFine) {
  TestZone zone;
  zone.add(DnsType::txt, "ten.example.org", "v=spf1 mx -all").add(DnsType::txt, "eleven.example.org", "v=spf1 mx -all");
  for (int i = 0; i < 11; ++i) {
    const std::string host = "mx" + std::to_string(i) + ".example.org";
    if (i < 10) zone.add(DnsType::mx, "ten.example.org", std::to_string(i) + " " + host);
    zone.add(DnsType::mx, "eleven.example.org", std::to_string(i) + " " + host);
    zone.add(DnsType::a, host, "192.0.2." + std::to_string(i + 1));
  }
  EXPECT_EQ(run_check(zone, "192.0.2.10", "a@ten.example.org").result.code, Code::pass);
  EXPECT_EQ(run_check(zone, "192.0.2.1", "a@eleven.example.org").result.code, Code::permerror);
}

TEST(SpfLimits, OnlyTheFirstTenPtrNamesAreConsidered) {
  TestZone zone;
  zone.add(DnsType::txt, "example.org", "v=spf1 ptr -all");
  for (int i = 0; i < 11; ++i) {
    const std::string name = (i == 10 ? "host.example.org" : "other" + std::to_string(i) + ".example.net");
    zone.add(DnsType::ptr, "1.2.0.192.in-addr.arpa", name);
    zone.add(DnsType::a, name, "192.0.2.1");
  }
  EXPECT_EQ(run_check(zone, "192.0.2.1", "a@example.org").result.code, Code::fail);
}

// --- which queries are asked, and asked together ---

TEST(SpfBatching, AllMxHostsAreAskedAtOnce) {
  TestZone zone;
  zone.add(DnsType::txt, "example.org", "v=spf1 mx -all")
      .add(DnsType::mx, "example.org", "20 mx2.example.org.")
      .add(DnsType::mx, "example.org", "10 mx1.example.org.")
      .add(DnsType::mx, "example.org", "30 mx3.example.net.")
      .add(DnsType::a, "mx3.example.net", "192.0.2.3");
  const CheckRun result = run_check(zone, "192.0.2.3", "a@example.org");
  EXPECT_EQ(result.result.code, Code::pass);
  const std::vector<std::vector<DnsQuery>> expected{
      {query(DnsType::txt, "example.org")},
      {query(DnsType::mx, "example.org")},
      {query(DnsType::a, "mx1.example.org"), query(DnsType::a, "mx2.example.org"),
       query(DnsType::a, "mx3.example.net")},
  };
  EXPECT_EQ(result.batches, expected);
}

TEST(SpfBatching, MxHostsAreReadInPreferenceOrder) {
  // The later host's lookup fails, but the first by preference matched: as if asked one by one.
  TestZone zone;
  zone.add(DnsType::txt, "example.org", "v=spf1 mx -all")
      .add(DnsType::mx, "example.org", "20 broken.example.org")
      .add(DnsType::mx, "example.org", "10 good.example.org")
      .add(DnsType::a, "good.example.org", "192.0.2.1")
      .fail(DnsType::a, "broken.example.org", Status::error);
  EXPECT_EQ(run_check(zone, "192.0.2.1", "a@example.org").result.code, Code::pass);
  EXPECT_EQ(run_check(zone, "192.0.2.2", "a@example.org").result.code, Code::temperror);
}

TEST(SpfBatching, Ipv6ClientsAskForAaaaAndMappedOnesForA) {
  TestZone zone;
  zone.add(DnsType::txt, "example.org", "v=spf1 a -all").add(DnsType::a, "example.org", "192.0.2.1");
  const CheckRun v6 = run_check(zone, "2001:db8::1", "a@example.org");
  EXPECT_EQ(v6.batches.back(), std::vector<DnsQuery>{query(DnsType::aaaa, "example.org")});
  const CheckRun mapped = run_check(zone, "::ffff:192.0.2.1", "a@example.org");
  EXPECT_EQ(mapped.batches.back(), std::vector<DnsQuery>{query(DnsType::a, "example.org")});
  EXPECT_EQ(mapped.result.code, Code::pass);
}

TEST(SpfBatching, PtrValidatesOnlyNamesWithinTheDomainAllAtOnce) {
  TestZone zone;
  zone.add(DnsType::txt, "example.org", "v=spf1 ptr -all")
      .add(DnsType::ptr, "1.2.0.192.in-addr.arpa", "a.example.org")
      .add(DnsType::ptr, "1.2.0.192.in-addr.arpa", "unrelated.example.net")
      .add(DnsType::ptr, "1.2.0.192.in-addr.arpa", "B.Example.ORG.")
      .add(DnsType::a, "b.example.org", "192.0.2.1");
  const CheckRun result = run_check(zone, "192.0.2.1", "a@example.org");
  EXPECT_EQ(result.result.code, Code::pass);
  ASSERT_EQ(result.batches.size(), 3u);
  EXPECT_EQ(result.batches[1], std::vector<DnsQuery>{query(DnsType::ptr, "1.2.0.192.in-addr.arpa")});
  EXPECT_EQ(result.batches[2],
            (std::vector<DnsQuery>{query(DnsType::a, "a.example.org"), query(DnsType::a, "b.example.org")}));
}

TEST(SpfBatching, PMacroIsResolvedBeforeTheMechanismThatUsesIt) {
  TestZone zone;
  zone.add(DnsType::txt, "example.org", "v=spf1 exists:%{p}.ok.example.org -all")
      .add(DnsType::ptr, "1.2.0.192.in-addr.arpa", "mail.example.org")
      .add(DnsType::ptr, "1.2.0.192.in-addr.arpa", "mail.example.net")
      .add(DnsType::a, "mail.example.org", "192.0.2.1")
      .add(DnsType::a, "mail.example.net", "192.0.2.1")
      .add(DnsType::a, "mail.example.org.ok.example.org", "127.0.0.2");
  const CheckRun result = run_check(zone, "192.0.2.1", "a@example.org");
  EXPECT_EQ(result.result.code, Code::pass);
  const std::vector<std::vector<DnsQuery>> expected{
      {query(DnsType::txt, "example.org")},
      {query(DnsType::ptr, "1.2.0.192.in-addr.arpa")},
      {query(DnsType::a, "mail.example.org"), query(DnsType::a, "mail.example.net")},
      {query(DnsType::a, "mail.example.org.ok.example.org")},
  };
  EXPECT_EQ(result.batches, expected);
}

TEST(SpfBatching, NothingIsAskedForAMalformedTarget) {
  TestZone zone;
  zone.add(DnsType::txt, "example.org", "v=spf1 a:bad..example.org exists:%{l}.example.org -all");
  const CheckRun result = run_check(zone, "192.0.2.1", std::string(70, 'x') + "@example.org");
  EXPECT_EQ(result.result.code, Code::fail);
  EXPECT_EQ(result.batches.size(), 1u);  // the TXT record only
  EXPECT_EQ(result.result.void_lookups, 0);
}

// --- the step() contract ---

TEST(SpfStep, AsksAgainUntilAnsweredAndTakesAnswersInAnyOrder) {
  TestZone zone;
  zone.add(DnsType::txt, "example.org", "v=spf1 mx -all")
      .add(DnsType::mx, "example.org", "10 mx1.example.org")
      .add(DnsType::mx, "example.org", "20 mx2.example.org")
      .add(DnsType::a, "mx2.example.org", "192.0.2.2");
  Check check(*IpAddress::parse("192.0.2.2"), "a@example.org", "mail.example.net");
  auto first = std::get<std::vector<DnsQuery>>(check.step());
  EXPECT_EQ(std::get<std::vector<DnsQuery>>(check.step()), first);  // nothing answered: the same again
  check.answer(first.front(), zone.lookup(first.front()));
  check.answer(query(DnsType::mx, "example.org"), zone.lookup(query(DnsType::mx, "example.org")));  // ahead of time
  auto hosts = std::get<std::vector<DnsQuery>>(check.step());
  ASSERT_EQ(hosts.size(), 2u);
  check.answer(hosts[1], zone.lookup(hosts[1]));
  EXPECT_EQ(std::get<std::vector<DnsQuery>>(check.step()), std::vector<DnsQuery>{hosts[0]});  // only what is missing
  check.answer(hosts[0], zone.lookup(hosts[0]));
  const Result result = std::get<Result>(check.step());
  EXPECT_EQ(result.code, Code::pass);
  EXPECT_EQ(std::get<Result>(check.step()).code, Code::pass);  // and that, from now on
}

TEST(SpfStep, MalformedDomainsNeedNoDns) {
  for (const char* sender : {"a@localhost", "a@[192.0.2.1]", "a@bad..example.org", "a@", "a@example.org.."}) {
    Check check(*IpAddress::parse("192.0.2.1"), sender, "mail.example.net");
    const auto step = check.step();
    ASSERT_TRUE(std::holds_alternative<Result>(step)) << sender;
    EXPECT_EQ(std::get<Result>(step).code, Code::none) << sender;
  }
}

TEST(SpfStep, TimeoutsAndErrorsAreTemperrors) {
  TestZone zone;
  zone.fail(DnsType::txt, "slow.example.org", Status::timeout)
      .fail(DnsType::txt, "broken.example.org", Status::error)
      .add(DnsType::txt, "example.org", "v=spf1 a:slow.example.org -all")
      .fail(DnsType::a, "slow.example.org", Status::timeout);
  EXPECT_EQ(run_check(zone, "192.0.2.1", "a@slow.example.org").result.code, Code::temperror);
  EXPECT_EQ(run_check(zone, "192.0.2.1", "a@broken.example.org").result.code, Code::temperror);
  const Result result = run_check(zone, "192.0.2.1", "a@example.org").result;
  EXPECT_EQ(result.code, Code::temperror);
  EXPECT_NE(result.problem.find("timed out"), std::string::npos) << result.problem;
}

// --- identities and explanations ---

TEST(SpfIdentity, NullSenderChecksPostmasterAtHelo) {
  TestZone zone;
  zone.add(DnsType::txt, "mx.example.org", "v=spf1 -all exp=why.example.org")
      .add(DnsType::txt, "why.example.org", "%{s} via %{h} from %{c}");
  const Result result = run_check(zone, "2001:db8::25", "", "mx.example.org").result;
  EXPECT_EQ(result.code, Code::fail);
  EXPECT_EQ(result.domain, "mx.example.org");
  EXPECT_EQ(result.explanation, "postmaster@mx.example.org via mx.example.org from 2001:db8::25");
}

TEST(SpfIdentity, ExplanationMacrosFromOptionsAndTheRecordsDomain) {
  TestZone zone;
  zone.add(DnsType::txt, "example.org", "v=spf1 redirect=policy.example.net")
      .add(DnsType::txt, "policy.example.net", "v=spf1 -all exp=%{d}")
      .add(DnsType::txt, "policy.example.net", "%{r} refused %{i} for %{o} at %{t}; see %{D}");
  Options options;
  options.receiver = "mx.example.com";
  options.timestamp = 1700000000;
  // exp=%{d} names the record's own domain, whose TXT records are two (the SPF record and
  // the text): exp= needs exactly one (RFC 7208 6.2), so there is no explanation.
  EXPECT_EQ(run_check(zone, "192.0.2.1", "a@example.org", "h.example.org", options).result.explanation, "");

  TestZone single;
  single.add(DnsType::txt, "example.org", "v=spf1 redirect=policy.example.net")
      .add(DnsType::txt, "policy.example.net", "v=spf1 -all exp=why.%{d}")
      .add(DnsType::txt, "why.policy.example.net", "%{r} refused %{i} for %{o} at %{t}; see %{D}");
  const Result result = run_check(single, "192.0.2.1", "a@example.org", "h.example.org", options).result;
  EXPECT_EQ(result.explanation,
            "mx.example.com refused 192.0.2.1 for example.org at 1700000000; see policy.example.net");

  options.explain = false;
  const CheckRun quiet = run_check(single, "192.0.2.1", "a@example.org", "h.example.org", options);
  EXPECT_EQ(quiet.result.code, Code::fail);
  EXPECT_EQ(quiet.result.explanation, "");
  EXPECT_EQ(quiet.batches.size(), 2u);  // the two SPF records, no explanation
}

TEST(SpfIdentity, NoExplanationForOtherResults) {
  TestZone zone;
  zone.add(DnsType::txt, "example.org", "v=spf1 ~all exp=why.example.org")
      .add(DnsType::txt, "why.example.org", "go away");
  const CheckRun result = run_check(zone, "192.0.2.1", "a@example.org");
  EXPECT_EQ(result.result.code, Code::softfail);
  EXPECT_EQ(result.result.explanation, "");
  EXPECT_EQ(result.batches.size(), 1u);
}

TEST(SpfIdentity, IncludeAndRedirectTargetsLoseTheirTrailingDot) {
  // <domain> of the target record is the target without its dot, so %{d} builds names.
  TestZone zone;
  zone.add(DnsType::txt, "example.org", "v=spf1 include:inc.example.net. redirect=policy.example.net.")
      .add(DnsType::txt, "inc.example.net", "v=spf1 exists:%{d}.in.example.org")
      .add(DnsType::txt, "policy.example.net", "v=spf1 exists:%{d}.ok.example.org -all")
      .add(DnsType::a, "policy.example.net.ok.example.org", "127.0.0.2");
  const Result result = run_check(zone, "192.0.2.1", "a@example.org").result;
  EXPECT_EQ(result.code, Code::pass);
  EXPECT_EQ(result.matched->domain, "policy.example.net");
  EXPECT_EQ(result.void_lookups, 1);  // inc.example.net.in.example.org: asked, and void
}

TEST(SpfEvaluate, EvaluateWithRunsACheckToItsEnd) {
  TestZone zone;
  zone.add(DnsType::txt, "example.org", "v=spf1 include:_spf.example.org -all")
      .add(DnsType::txt, "_spf.example.org", "v=spf1 a:mail.example.org")
      .add(DnsType::a, "mail.example.org", "192.0.2.5");
  int lookups = 0;
  const ZoneLookup lookup = [&](const DnsQuery& query) {
    ++lookups;
    return zone.lookup(query);
  };
  EXPECT_EQ(evaluate_with(lookup, *IpAddress::parse("192.0.2.5"), "a@example.org", "x.example.net").code, Code::pass);
  EXPECT_EQ(lookups, 3);
  Check check(*IpAddress::parse("192.0.2.6"), "a@example.org", "x.example.net");
  EXPECT_EQ(evaluate_with(check, lookup).code, Code::fail);
}

}  // namespace
}  // namespace grayling::spf::test
