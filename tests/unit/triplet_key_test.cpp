#include "grayling/core/triplet_key.hpp"

#include <gtest/gtest.h>

namespace grayling {
namespace {

struct SenderCase {
  const char* input;
  const char* expected;
};

class NormalizeSender : public ::testing::TestWithParam<SenderCase> {};

TEST_P(NormalizeSender, MatchesPostgrey) {
  EXPECT_EQ(normalize_sender(GetParam().input), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, NormalizeSender,
    ::testing::Values(
        // unchanged
        SenderCase{"", ""}, SenderCase{"a@example.net", "a@example.net"}, SenderCase{"no-at-sign", "no-at-sign"},
        SenderCase{"123", "123"},  // no '@': postgrey leaves it alone
        // +extension
        SenderCase{"news+123@lists.example.net", "news@lists.example.net"},
        SenderCase{"a+b+c@x", "a@x"},
        // word-bounded digit runs
        SenderCase{"bounce-12345@x", "bounce-#@x"}, SenderCase{"12345@x", "#@x"},
        SenderCase{"abc123@x", "abc123@x"}, SenderCase{"123abc@x", "123abc@x"},
        SenderCase{"a_1@x", "a_1@x"}, SenderCase{"a.1.b.22@x", "a.#.b.#@x"},
        SenderCase{"1-2-3@x", "#-#-#@x"},
        SenderCase{"bounce-123@sub-456.example", "bounce-#@sub-456.example"},  // domain untouched
        // fresh bounce ids per attempt: UUIDs and hex ids (beyond postgrey)
        SenderCase{"bounce-3f2a9c7e1b@x", "bounce-#@x"},
        SenderCase{"0100018c2e5f1a2b-6f1e2d3c-4b5a-6978-8f9e-0a1b2c3d4e5f-000000@amazonses.com", "#-#-#@amazonses.com"},
        SenderCase{"msprvs1=19876abcDEF=bounces-1234@x", "msprvs1=#=bounces-#@x"},
        SenderCase{"b-6F1E2D3C-4B5A-6978-8F9E-0A1B2C3D4E5F@x", "b-#@x"},
        SenderCase{"cafebabe@x", "cafebabe@x"},        // letters only: a word, kept
        SenderCase{"ab12cd3@x", "ab12cd3@x"},          // seven: too short to be an id
        SenderCase{"x3f2a9c7e1b@x", "x3f2a9c7e1b@x"},  // not word-bounded
        SenderCase{"a_3f2a9c7e1b@x", "a_3f2a9c7e1b@x"},
        // BATV
        SenderCase{"prvs=1234567890=bounce@x", "bounce@x"},
        SenderCase{"prvs=bounce=1234567890@x", "bounce@x"},
        SenderCase{"prvs=0123abcdef=user@x", "user@x"},
        SenderCase{"prvs=short=user@x", "user@x"},          // neither looks like a tag: third part
        SenderCase{"prvs=a=b=c@x", "prvs=a=b=c@x"},         // not three parts: unchanged
        SenderCase{"prvs=1234567890=bounce-77@x", "bounce-#@x"},
        // SRS unwrapping (sqlgrey does this; postgrey does not)
        SenderCase{"SRS0=HHH=TT=orig.example=alice@forwarder.example", "alice@orig.example"},
        SenderCase{"SRS0=a1b2=X3=orig.example=news+42@fwd.example", "news@orig.example"},
        SenderCase{"SRS1=HHH=first.example==HHH=TT=orig.example=bob@second.example", "bob@orig.example"},
        SenderCase{"SRS0=broken@x", "SRS0=broken@x"}));

TEST(ClientKey, SubnetIsTheNetworkAddress) {
  KeyRules rules;
  EXPECT_EQ(client_key(*IpAddress::parse("192.0.2.77"), rules), "192.0.2.0");
  EXPECT_EQ(client_key(*IpAddress::parse("2001:db8:1:2::5"), rules), "2001:db8:1:2:0:0:0:0");
}

TEST(ClientKey, PrefixesAreConfigurable) {
  KeyRules rules;
  rules.ipv4_prefix = 16;
  rules.ipv6_prefix = 48;
  EXPECT_EQ(client_key(*IpAddress::parse("192.0.2.77"), rules), "192.0.0.0");
  EXPECT_EQ(client_key(*IpAddress::parse("2001:db8:1:2::5"), rules), "2001:db8:1:0:0:0:0:0");
}

TEST(ClientKey, LookupByHostCarriesThePrefixLength) {
  KeyRules rules;
  rules.lookup_by_host = true;
  EXPECT_EQ(client_key(*IpAddress::parse("198.51.100.7"), rules), "198.51.100.7/32");
  EXPECT_EQ(client_key(*IpAddress::parse("2001:DB8::5"), rules), "2001:db8:0:0:0:0:0:5/128");
}

TEST(TripletKey, MatchesPostgreysStoredKeys) {
  KeyRules rules;
  EXPECT_EQ(triplet_key(*IpAddress::parse("192.0.2.77"), "news+123@lists.example.net", "user@example.org", rules),
            "192.0.2.0/news@lists.example.net/user@example.org");
  EXPECT_EQ(triplet_key(*IpAddress::parse("192.0.2.1"), "", "z2@example.org", rules), "192.0.2.0//z2@example.org");
  EXPECT_EQ(triplet_key(*IpAddress::parse("2001:db8:1:2::5"), "news@lists.example.net", "z3@example.org", rules),
            "2001:db8:1:2:0:0:0:0/news@lists.example.net/z3@example.org");
  rules.lookup_by_host = true;
  EXPECT_EQ(triplet_key(*IpAddress::parse("198.51.100.7"), "a@b.example", "r@c.example", rules),
            "198.51.100.7/32/a@b.example/r@c.example");
}

// ::ffff:192.0.2.77 is the IPv4 client 192.0.2.77: keyed by its /24, as Postfix's usual
// 192.0.2.77 is (postgrey keys it by the IPv6 /64 ::, one key for every IPv4 client).
TEST(ClientKey, MappedAddressesAreKeyedAsIpv4) {
  KeyRules rules;
  EXPECT_EQ(client_key(*IpAddress::parse("::ffff:192.0.2.77"), rules), "192.0.2.0");
  EXPECT_EQ(triplet_key(*IpAddress::parse("::ffff:192.0.2.77"), "a@b.example", "r@c.example", rules),
            triplet_key(*IpAddress::parse("192.0.2.1"), "a@b.example", "r@c.example", rules));
  rules.lookup_by_host = true;
  EXPECT_EQ(client_key(*IpAddress::parse("::ffff:198.51.100.7"), rules), "198.51.100.7/32");
}

TEST(TripletKey, IsLowerCased) {
  EXPECT_EQ(triplet_key(*IpAddress::parse("192.0.2.1"), "News@Lists.Example.NET", "User@Example.ORG", KeyRules{}),
            "192.0.2.0/news@lists.example.net/user@example.org");
}

TEST(TripletKey, RecipientExtensionIsKept) {
  EXPECT_EQ(triplet_key(*IpAddress::parse("192.0.2.1"), "a@x", "user+tag@example.org", KeyRules{}),
            "192.0.2.0/a@x/user+tag@example.org");
}

}  // namespace
}  // namespace grayling
