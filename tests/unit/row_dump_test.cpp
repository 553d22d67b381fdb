// The portable dump's lines: what export writes, import reads back exactly, and every
// malformed line is refused with a reason.
#include "grayling/admin/row_dump.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace grayling {
namespace {

TEST(RowDump, RowsRoundTripThroughTheirLines) {
  const TripletRow triplet{std::numeric_limits<std::int64_t>::min() + 5, {-3, 1796198980, true}};
  const ClientRow client{-1, {7, 42}};
  EXPECT_EQ(std::get<TripletRow>(parse_dump_line(dump_line(triplet))), triplet);
  EXPECT_EQ(std::get<ClientRow>(parse_dump_line(dump_line(client))), client);
  EXPECT_EQ(dump_line(client), R"({"client":"ffffffffffffffff","count":7,"last_seen":42})");
  EXPECT_EQ(dump_line(TripletRow{0x0123456789abcdef, {1, 2, false}}),
            R"({"triplet":"0123456789abcdef","first_seen":1,"last_seen":2,"passed":false})");
}

TEST(RowDump, IdsAreExactlySixteenLowercaseHexDigits) {
  EXPECT_EQ(parse_row_id("8000000000000000"), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(parse_row_id("7fffffffffffffff"), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(row_id_hex(std::numeric_limits<std::int64_t>::min()), "8000000000000000");
  for (const char* bad : {"", "123", "7FFFFFFFFFFFFFFF", "0123456789abcdeg", "0123456789abcdef0", " 123456789abcdef"}) {
    EXPECT_FALSE(parse_row_id(bad)) << bad;
  }
}

TEST(RowDump, FieldOrderAndSpacingDoNotMatter) {
  EXPECT_EQ(std::get<ClientRow>(parse_dump_line(R"( { "last_seen" : 5 , "count": 2, "client":"000000000000000a" } )")),
            (ClientRow{10, {2, 5}}));
}

TEST(RowDump, MalformedLinesAreRefusedWithTheReason) {
  const std::pair<const char*, const char*> cases[] = {
      {"not json", "not a JSON line"},
      {"[1,2]", "not a JSON object"},
      {R"({"other":"0000000000000001"})", "neither"},
      {R"({"triplet":"0000000000000001","first_seen":1,"last_seen":2})", "no \"passed\""},
      {R"({"triplet":"0000000000000001","first_seen":"1","last_seen":2,"passed":true})", "not a whole number"},
      {R"({"triplet":"0000000000000001","first_seen":1.5,"last_seen":2,"passed":true})", "not a whole number"},
      {R"({"triplet":"0000000000000001","first_seen":1,"last_seen":2,"passed":1})", "not true or false"},
      {R"({"triplet":"0000000000000001","first_seen":3,"last_seen":2,"passed":true})", "before"},
      {R"({"triplet":"1","first_seen":1,"last_seen":2,"passed":true})", "16 hex digits"},
      {R"({"triplet":1,"first_seen":1,"last_seen":2,"passed":true})", "16 hex digits"},
      {R"({"triplet":"0000000000000001","first_seen":1,"last_seen":2,"passed":true,"extra":0})", "unknown field"},
      {R"({"client":"0000000000000001","count":-1,"last_seen":2})", "negative"},
      {R"({"client":"0000000000000001","count":18446744073709551615,"last_seen":2})", "out of range"},
  };
  for (const auto& [line, reason] : cases) {
    try {
      (void)parse_dump_line(line);
      ADD_FAILURE() << "accepted: " << line;
    } catch (const DumpError& e) {
      EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << line << " -> " << e.what();
    }
  }
}

TEST(RowDump, TheHeaderNamesTheFormatAndANewerOneIsRefused) {
  EXPECT_NO_THROW(check_dump_header(dump_header(1796198980)));
  EXPECT_NE(dump_header(5).find(R"("written":5)"), std::string::npos);
  EXPECT_THROW(check_dump_header(R"({"grayling_dump":2})"), DumpError);
  EXPECT_THROW(check_dump_header(R"({"triplet":"0000000000000001","first_seen":1,"last_seen":2,"passed":true})"),
               DumpError);
  EXPECT_THROW(check_dump_header("SQLite format 3"), DumpError);
}

}  // namespace
}  // namespace grayling
