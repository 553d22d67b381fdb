// Record data from the wire into the text SPF compares: exact for every type SPF asks
// for, and nothing for malformed data (a resolver then answers "error", never garbage).
#include "grayling/dns/rdata.hpp"

#include <gtest/gtest.h>

namespace grayling::dns {
namespace {

using namespace std::string_literals;

TEST(Rdata, EveryTypeSpfAsksFor) {
  EXPECT_EQ(rdata_text(RecordType::a, "\xc0\x00\x02\x07"s), "192.0.2.7");
  EXPECT_EQ(rdata_text(RecordType::aaaa, "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"s),
            "2001:db8:0:0:0:0:0:1");
  // Two character-strings: SPF joins them with nothing between (RFC 7208 § 3.3).
  EXPECT_EQ(rdata_text(RecordType::txt, "\x06v=spf1\x05 -all"s), "v=spf1 -all");
  EXPECT_EQ(rdata_text(RecordType::txt, ""s), "");
  EXPECT_EQ(rdata_text(RecordType::mx, "\x00\x0a\x02mx\x07" "example\x03org\x00"s), "mx.example.org");
  EXPECT_EQ(rdata_text(RecordType::ptr, "\x04mail\x07" "example\x03net\x00"s), "mail.example.net");
  EXPECT_EQ(rdata_text(RecordType::ptr, "\x00"s), "");  // the root
}

TEST(Rdata, MalformedDataIsNothing) {
  EXPECT_FALSE(rdata_text(RecordType::a, "\xc0\x00\x02"s));
  EXPECT_FALSE(rdata_text(RecordType::aaaa, "\x20\x01"s));
  EXPECT_FALSE(rdata_text(RecordType::txt, "\x09" "short"s));
  EXPECT_FALSE(rdata_text(RecordType::mx, "\x00\x0a\x02" "mx"s));          // no terminating root
  EXPECT_FALSE(rdata_text(RecordType::ptr, "\xc0\x0c"s));               // a compression pointer
  EXPECT_FALSE(rdata_text(RecordType::ptr, "\x05" "ab\x00"s));             // label runs out
}

}  // namespace
}  // namespace grayling::dns
