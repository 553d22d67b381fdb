// SPF record syntax at the edges: which TXT records are SPF records, what each term
// parses into, and what makes the whole record unusable.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "grayling/spf/record.hpp"

namespace grayling::spf {
namespace {

std::optional<Record> parsed(const std::string& text) {
  std::string error;
  return parse_record(text, error);
}

TEST(SpfRecord, TellsSpfRecordsFromOtherTxt) {
  for (const char* yes : {"v=spf1", "v=spf1 -all", "V=SPF1 ~all", "v=spf1  "}) EXPECT_TRUE(is_spf_record(yes)) << yes;
  for (const char* no : {"", "v=spf10", "v=spf1mx", "v=spf2 -all", " v=spf1", "spf1", "v=spf1\t-all"}) {
    EXPECT_FALSE(is_spf_record(no)) << no;
  }
}

TEST(SpfRecord, ParsesDirectivesInOrder) {
  const auto record = parsed("v=spf1 +a -mx:example.org/24 ~ptr ?exists:%{i}.x.example.org include:_spf.example.org "
                             "ip4:192.0.2.7/24 IP6:2001:DB8::/32 -ALL");
  ASSERT_TRUE(record);
  ASSERT_EQ(record->directives.size(), 8u);
  const auto& d = record->directives;
  EXPECT_EQ(d[0].kind, MechanismKind::a);
  EXPECT_EQ(d[0].qualifier, Qualifier::pass);
  EXPECT_FALSE(d[0].target);
  EXPECT_EQ(d[1].kind, MechanismKind::mx);
  EXPECT_EQ(d[1].qualifier, Qualifier::fail);
  EXPECT_TRUE(d[1].target);
  EXPECT_EQ(d[1].cidr4, 24);
  EXPECT_EQ(d[1].cidr6, 128);
  EXPECT_EQ(d[2].qualifier, Qualifier::softfail);
  EXPECT_EQ(d[3].qualifier, Qualifier::neutral);
  EXPECT_EQ(d[3].kind, MechanismKind::exists);
  EXPECT_EQ(d[4].kind, MechanismKind::include);
  EXPECT_EQ(d[5].network, IpNetwork::parse("192.0.2.0/24"));  // the host bits are dropped
  EXPECT_EQ(d[6].network, IpNetwork::parse("2001:db8::/32"));
  EXPECT_EQ(d[7].kind, MechanismKind::all);
  EXPECT_EQ(d[7].text, "-ALL");
  EXPECT_FALSE(record->redirect);
  EXPECT_FALSE(record->explanation);
}

TEST(SpfRecord, DualCidrLengths) {
  const auto record = parsed("v=spf1 a/24//64 mx//48 a:foo:bar/baz.example.com a:example.org/0//0");
  ASSERT_TRUE(record);
  const auto& d = record->directives;
  EXPECT_EQ(d[0].cidr4, 24);
  EXPECT_EQ(d[0].cidr6, 64);
  EXPECT_EQ(d[1].cidr4, 32);
  EXPECT_EQ(d[1].cidr6, 48);
  EXPECT_EQ(d[2].cidr4, 32);  // "/baz.example.com" is part of the domain, not a cidr-length
  EXPECT_EQ(d[3].cidr4, 0);
  EXPECT_EQ(d[3].cidr6, 0);
}

TEST(SpfRecord, Modifiers) {
  const auto record = parsed("v=spf1 -all Redirect=_spf.example.org EXP=why.%{d} moo.cow-far_out=man:dog/cat x= ");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->directives.size(), 1u);
  EXPECT_TRUE(record->redirect);
  EXPECT_TRUE(record->explanation);
}

TEST(SpfRecord, AnySyntaxErrorSpoilsTheWholeRecord) {
  using namespace std::string_literals;
  for (const std::string& bad : std::vector<std::string>{
           "v=spf1 ip4:192.0.2.1 -all moo",         // unknown mechanism, after a match
           "v=spf1 -all.", "v=spf1 -all:foo", "v=spf1 -all/8", "v=spf1 =all", "v=spf1 +",
           "v=spf1 include", "v=spf1 include:", "v=spf1 include:example.org/24", "v=spf1 exists",
           "v=spf1 exists:example.org/24", "v=spf1 ptr/0", "v=spf1 ptr:",
           "v=spf1 a:", "v=spf1 a/33", "v=spf1 a//129", "v=spf1 a/24/64", "v=spf1 a/024", "v=spf1 a:example.org:8080",
           "v=spf1 a:111.222.33.44", "v=spf1 a:museum", "v=spf1 mx:example.-com",
           "v=spf1 ip4", "v=spf1 ip4:192.0.2", "v=spf1 ip4:192.0.2.1/33", "v=spf1 ip4:192.0.2.1/032",
           "v=spf1 ip4:192.0.2.1//32", "v=spf1 ip4:192.0.2.1:8080", "v=spf1 ip4:192.0.02.1", "v=spf1 ip4:2001:db8::1",
           "v=spf1 ip6", "v=spf1 ip6::CAFE::BABE", "v=spf1 ip6:::1/129", "v=spf1 ip6:::1//64", "v=spf1 ip6:192.0.2.1",
           "v=spf1 redirect:example.org", "v=spf1 redirect=", "v=spf1 redirect=a.example.org redirect=a.example.org",
           "v=spf1 exp=", "v=spf1 exp=-all", "v=spf1 exp=a.example.org exp=b.example.org",
           "v=spf1 exp=%{r}.example.org",
           "v=spf1 foo=%abc", "v=spf1 1up=foo", "v=spf1 moo.cow/far_out=man", "v=spf1 a:ctrl.example.org\rptr",
           "v=spf1 ip4:192.0.2.1\n", "v=spf1 a\t-all", "v=spf1 \x80" "a", "v=spf1 mx:foo.example.com\0"s,
       }) {
    std::string error;
    EXPECT_FALSE(parse_record(bad, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(SpfRecord, OnlyDnsTermsCountAgainstTheLimit) {
  const auto record = parsed("v=spf1 all include:x.example.org a mx ptr ip4:192.0.2.1 ip6:::1 exists:x.example.org");
  ASSERT_TRUE(record);
  std::string counted;
  for (const Directive& directive : record->directives) counted += directive.needs_dns() ? '1' : '0';
  EXPECT_EQ(counted, "01111001");
}

}  // namespace
}  // namespace grayling::spf
