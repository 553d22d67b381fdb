#include "grayling/core/ip_address.hpp"

#include <gtest/gtest.h>

namespace grayling {
namespace {

TEST(IpAddress, ParsesBothFamilies) {
  auto v4 = IpAddress::parse("192.0.2.7");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->family, IpAddress::Family::v4);
  EXPECT_EQ(v4->to_string(), "192.0.2.7");
  auto v6 = IpAddress::parse("2001:DB8::1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->family, IpAddress::Family::v6);
  EXPECT_EQ(v6->to_string(), "2001:db8::1");
  EXPECT_EQ(v6->to_expanded_string(), "2001:db8:0:0:0:0:0:1");
}

TEST(IpAddress, RejectsGarbage) {
  for (const char* bad : {"", "garbage", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4/24", "::g", " 1.2.3.4",
                          "1.2.3.4 ", "[::1]", "unknown", "IPv6:::1"}) {
    EXPECT_FALSE(IpAddress::parse(bad)) << bad;
  }
  EXPECT_FALSE(IpAddress::parse(std::string(1000, '1')));
}

TEST(IpAddress, MapsStayIpv6) {
  auto mapped = IpAddress::parse("::ffff:192.0.2.7");
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->family, IpAddress::Family::v6);
  EXPECT_EQ(mapped->to_expanded_string(), "0:0:0:0:0:ffff:c000:207");
}

// How a dual-stack [::] socket shows an IPv4 peer, and how some clients send one.
TEST(IpAddress, MappedAddressesUnmapToTheirIpv4Address) {
  EXPECT_EQ(IpAddress::parse("::ffff:192.0.2.7")->unmapped(), *IpAddress::parse("192.0.2.7"));
  EXPECT_EQ(IpAddress::parse("::FFFF:c000:0207")->unmapped(), *IpAddress::parse("192.0.2.7"));
  EXPECT_TRUE(IpAddress::parse("::ffff:192.0.2.7")->is_v4_mapped());
  // Everything else stays what it is: IPv4, other IPv6, the deprecated IPv4-compatible form.
  for (const char* other : {"192.0.2.7", "2001:db8::1", "::1", "::", "::192.0.2.7", "::fffe:192.0.2.7",
                            "1::ffff:192.0.2.7", "64:ff9b::192.0.2.7"}) {
    EXPECT_EQ(IpAddress::parse(other)->unmapped(), *IpAddress::parse(other)) << other;
    EXPECT_FALSE(IpAddress::parse(other)->is_v4_mapped()) << other;
  }
}

TEST(IpAddress, Masks) {
  EXPECT_EQ(IpAddress::parse("192.0.2.255")->masked(24).to_string(), "192.0.2.0");
  EXPECT_EQ(IpAddress::parse("192.0.2.255")->masked(25).to_string(), "192.0.2.128");
  EXPECT_EQ(IpAddress::parse("192.0.2.255")->masked(0).to_string(), "0.0.0.0");
  EXPECT_EQ(IpAddress::parse("192.0.2.255")->masked(32).to_string(), "192.0.2.255");
  EXPECT_EQ(IpAddress::parse("2001:db8:1:2:3:4:5:6")->masked(64).to_string(), "2001:db8:1:2::");
  EXPECT_EQ(IpAddress::parse("2001:db8:1:2:3:4:5:6")->masked(36).to_string(), "2001:db8::");
}

TEST(IpNetwork, ContainsByPrefix) {
  auto net = IpNetwork::parse("192.0.2.0/24");
  ASSERT_TRUE(net);
  EXPECT_TRUE(net->contains(*IpAddress::parse("192.0.2.200")));
  EXPECT_FALSE(net->contains(*IpAddress::parse("192.0.3.1")));
  EXPECT_FALSE(net->contains(*IpAddress::parse("2001:db8::1")));  // other family
  auto host = IpNetwork::parse("2001:db8::1");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->prefix, 128);
  EXPECT_TRUE(IpNetwork::parse("2001:db8::/32")->contains(*IpAddress::parse("2001:db8:ffff::1")));
}

// An IPv4 peer is the same peer whichever socket it came through: 127.0.0.1 over an
// IPv4 socket, ::ffff:127.0.0.1 over a dual-stack [::] one (systemd's ListenStream=PORT).
TEST(IpNetwork, MatchesMappedAddressesAsIpv4) {
  const auto v4 = IpNetwork::parse("192.0.2.0/24");
  EXPECT_TRUE(v4->contains(*IpAddress::parse("::ffff:192.0.2.1")));
  EXPECT_TRUE(v4->contains(*IpAddress::parse("::ffff:192.0.2.255")));
  EXPECT_FALSE(v4->contains(*IpAddress::parse("::ffff:192.0.3.1")));
  EXPECT_FALSE(v4->contains(*IpAddress::parse("::192.0.2.1")));  // IPv4-compatible, not mapped
  EXPECT_TRUE(IpNetwork::parse("127.0.0.1")->contains(*IpAddress::parse("::ffff:127.0.0.1")));
  // A network written in the mapped form is the IPv4 network it stands for.
  const auto written_mapped = IpNetwork::parse("::ffff:192.0.2.0/120");
  EXPECT_TRUE(written_mapped->contains(*IpAddress::parse("192.0.2.9")));
  EXPECT_TRUE(written_mapped->contains(*IpAddress::parse("::ffff:192.0.2.9")));
  EXPECT_FALSE(written_mapped->contains(*IpAddress::parse("192.0.3.9")));
  EXPECT_TRUE(IpNetwork::parse("::ffff:0:0/96")->contains(*IpAddress::parse("203.0.113.5")));
  // IPv6 networks hold IPv6 peers only: an IPv4 peer is not in ::/0.
  EXPECT_FALSE(IpNetwork::parse("::/0")->contains(*IpAddress::parse("::ffff:192.0.2.1")));
  EXPECT_FALSE(IpNetwork::parse("::/0")->contains(*IpAddress::parse("192.0.2.1")));
  EXPECT_TRUE(IpNetwork::parse("::/0")->contains(*IpAddress::parse("2001:db8::1")));
  EXPECT_FALSE(IpNetwork::parse("0.0.0.0/0")->contains(*IpAddress::parse("2001:db8::1")));
}

TEST(IpNetwork, RejectsBadPrefixes) {
  for (const char* bad : {"192.0.2.0/33", "192.0.2.0/", "192.0.2.0/-1", "192.0.2.0/2x", "::/129", "x/8"}) {
    EXPECT_FALSE(IpNetwork::parse(bad)) << bad;
  }
}

}  // namespace
}  // namespace grayling
