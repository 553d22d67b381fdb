// The portable dump's lines: what export writes, import reads back exactly, and every
// malformed line is refused with a reason.
#include "grayling/admin/row_dump.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "grayling/store/row_ids.hpp"

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

// Keys go along, checked against their ids; a key that is not UTF-8 (JSON strings must
// be) goes as hex, and comes back byte for byte.
TEST(RowDump, KeysRoundTripAndMustBelongToTheirRow) {
  const std::string key = "192.0.2.0/\"a\"@x/b@y";
  const TripletRow triplet{store_key_digest(key), {1, 2, true}, key};
  EXPECT_EQ(dump_line(triplet), R"({"triplet":")" + row_id_hex(triplet.id) +
                                    R"(","first_seen":1,"last_seen":2,"passed":true,"key":"192.0.2.0/\"a\"@x/b@y"})");
  EXPECT_EQ(std::get<TripletRow>(parse_dump_line(dump_line(triplet))), triplet);
  const std::string bytes = "198.51.100.0/\xff@x/b@y";
  const TripletRow binary{store_key_digest(bytes), {1, 2, false}, bytes};
  EXPECT_NE(dump_line(binary).find(R"("key_hex":"3139382e35312e3130302e302fff40782f624079")"), std::string::npos)
      << dump_line(binary);
  EXPECT_EQ(std::get<TripletRow>(parse_dump_line(dump_line(binary))), binary);
  const ClientRow client{store_key_digest("192.0.2.1"), {3, 4}, "192.0.2.1"};
  EXPECT_EQ(std::get<ClientRow>(parse_dump_line(dump_line(client))), client);

  const std::pair<std::string, const char*> bad[] = {
      {R"({"client":")" + row_id_hex(client.id) + R"(","count":3,"last_seen":4,"key":"192.0.2.2"})", "digest differs"},
      {R"({"client":")" + row_id_hex(client.id) + R"(","count":3,"last_seen":4,"key":""})", "non-empty"},
      {R"({"client":")" + row_id_hex(client.id) + R"(","count":3,"last_seen":4,"key_hex":"3g"})", "lowercase hex"},
  };
  for (const auto& [line, reason] : bad) {
    try {
      (void)parse_dump_line(line);
      ADD_FAILURE() << "accepted: " << line;
    } catch (const DumpError& e) {
      EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << line << " -> " << e.what();
    }
  }
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
  EXPECT_NO_THROW(check_dump_header(R"({"grayling_dump":1})"));  // before keys were kept: still read
  EXPECT_THROW(check_dump_header(R"({"grayling_dump":3})"), DumpError);
  EXPECT_THROW(check_dump_header(R"({"triplet":"0000000000000001","first_seen":1,"last_seen":2,"passed":true})"),
               DumpError);
  EXPECT_THROW(check_dump_header("SQLite format 3"), DumpError);
}

}  // namespace
}  // namespace grayling
