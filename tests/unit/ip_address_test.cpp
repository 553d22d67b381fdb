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
  EXPECT_FALSE(net->contains(*IpAddress::parse("::ffff:192.0.2.1")));  // other family
  auto host = IpNetwork::parse("2001:db8::1");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->prefix, 128);
  EXPECT_TRUE(IpNetwork::parse("2001:db8::/32")->contains(*IpAddress::parse("2001:db8:ffff::1")));
}

TEST(IpNetwork, RejectsBadPrefixes) {
  for (const char* bad : {"192.0.2.0/33", "192.0.2.0/", "192.0.2.0/-1", "192.0.2.0/2x", "::/129", "x/8"}) {
    EXPECT_FALSE(IpNetwork::parse(bad)) << bad;
  }
}

}  // namespace
}  // namespace grayling
