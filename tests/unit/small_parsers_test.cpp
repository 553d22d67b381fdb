// Small pure helpers: SHA-1, listen specifications, durations.
#include <gtest/gtest.h>

#include "grayling/core/durations.hpp"
#include "grayling/core/listen_endpoint.hpp"
#include "grayling/core/sha1.hpp"

namespace grayling {
namespace {

TEST(Sha1, KnownVectors) {
  EXPECT_EQ(sha1_hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(sha1_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(sha1_hex(std::string(1000000, 'a')), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  // Lengths around the 55/56/64-byte padding boundaries.
  EXPECT_EQ(sha1_hex(std::string(55, 'a')), "c1c8bbdc22796e28c0e15163d20899b65621d65a");
  EXPECT_EQ(sha1_hex(std::string(56, 'a')), "c2db330f6083854c99d4b5bfb6e8f29f201be699");
  EXPECT_EQ(sha1_hex(std::string(64, 'a')), "0098ba824b5c16427bd7a1122a5a442a25ec644d");
}

TEST(InetSpec, BarePortMeansBothLoopbacks) {
  const auto endpoints = parse_inet_spec("10023");
  ASSERT_EQ(endpoints.size(), 2U);
  EXPECT_EQ(endpoints[0].describe(), "127.0.0.1:10023");
  EXPECT_EQ(endpoints[1].describe(), "[::1]:10023");
  EXPECT_TRUE(endpoints[0].is_loopback());
  EXPECT_TRUE(endpoints[1].is_loopback());
  EXPECT_EQ(parse_inet_spec("localhost:10023"), endpoints);
}

TEST(InetSpec, ExplicitAddresses) {
  EXPECT_EQ(parse_inet_spec("127.0.0.1:10023").at(0).describe(), "127.0.0.1:10023");
  EXPECT_EQ(parse_inet_spec("[::1]:10023").at(0).describe(), "[::1]:10023");
  const auto any = parse_inet_spec("0.0.0.0:10023");
  ASSERT_EQ(any.size(), 1U);
  EXPECT_FALSE(any[0].is_loopback());
  EXPECT_TRUE(parse_inet_spec("127.0.0.2:1").at(0).is_loopback());
  EXPECT_EQ(parse_inet_spec("*:10023").size(), 2U);
}

TEST(InetSpec, RejectsWithAClearMessage) {
  for (const char* bad : {"", "0", "65536", "port", "host.example:10023", "::1:10023", "[::1]10023", "[::1]:",
                          "1.2.3.4:", "1.2.3.4:x"}) {
    EXPECT_THROW((void)parse_inet_spec(bad), EndpointError) << bad;
  }
  try {
    (void)parse_inet_spec("mx.example:10023");
  } catch (const EndpointError& e) {
    EXPECT_NE(std::string(e.what()).find("not a numeric IP address"), std::string::npos);
  }
}

TEST(UnixSpec, NeedsAnAbsolutePath) {
  EXPECT_EQ(unix_endpoint("/run/grayling.sock").describe(), "unix:/run/grayling.sock");
  EXPECT_THROW((void)unix_endpoint("relative.sock"), EndpointError);
  EXPECT_THROW((void)unix_endpoint(""), EndpointError);
}

TEST(RetryWindow, DaysOrHours) {
  EXPECT_EQ(parse_retry_window("2"), 2 * 86400);
  EXPECT_EQ(parse_retry_window("12h"), 12 * 3600);
  EXPECT_EQ(parse_retry_window("12H"), 12 * 3600);
  for (const char* bad : {"", "h", "2d", "-1", "1.5", "x", "2 h"}) EXPECT_FALSE(parse_retry_window(bad)) << bad;
}

TEST(Duration, SecondsOrAUnit) {
  EXPECT_EQ(parse_duration("90"), 90);
  EXPECT_EQ(parse_duration("90s"), 90);
  EXPECT_EQ(parse_duration("30m"), 30 * 60);
  EXPECT_EQ(parse_duration("12h"), 12 * 3600);
  EXPECT_EQ(parse_duration("7d"), 7 * 86400);
  EXPECT_EQ(parse_duration("2w"), 14 * 86400);
  EXPECT_EQ(parse_duration("0"), 0);
  for (const char* bad : {"", "d", "-1d", "1.5h", "7 d", "7D", "7y", "999999999999d"}) {
    EXPECT_FALSE(parse_duration(bad)) << bad;
  }
}

}  // namespace
}  // namespace grayling
