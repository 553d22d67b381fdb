// Berkeley DB's db_dump -p text: records come back as the bytes the database holds, in
// one piece or fed a byte at a time, and anything that is not a whole dump is refused
// with its line.
#include "grayling/admin/db_dump_parser.hpp"

#include <gtest/gtest.h>

#include <string>

namespace grayling {
namespace {

// As db_dump 5.3 prints a btree (its real output, one escape of each kind added).
constexpr std::string_view kDump =
    "VERSION=3\n"
    "format=print\n"
    "type=btree\n"
    "db_pagesize=4096\n"
    "HEADER=END\n"
    " 192.0.2.0/user@example.org/rcpt@example.net\n"
    " 1700000000,1700000400\n"
    " we\\\\ird\\01key\\c3\\A9\n"
    " \n"
    "DATA=END\n";

std::string error_of(std::string_view text) {
  try {
    (void)parse_db_dump(text);
  } catch (const DbDumpError& e) {
    return e.what();
  }
  return "no error";
}

TEST(DbDumpParser, ReadsRecordsUnescaped) {
  const auto databases = parse_db_dump(kDump);
  ASSERT_EQ(databases.size(), 1u);
  EXPECT_EQ(databases[0].name, "");
  EXPECT_EQ(databases[0].type, "btree");
  ASSERT_EQ(databases[0].records.size(), 2u);
  EXPECT_EQ(databases[0].records[0],
            (DbDumpRecord{"192.0.2.0/user@example.org/rcpt@example.net", "1700000000,1700000400"}));
  EXPECT_EQ(databases[0].records[1], (DbDumpRecord{std::string("we\\ird\x01key\xc3\xa9"), ""}));
}

TEST(DbDumpParser, PiecesOfAnySizeGiveTheSameRecords) {
  DbDumpParser parser;
  for (char c : kDump) parser.feed(std::string_view(&c, 1));
  EXPECT_EQ(parser.records(), 2u);
  const auto databases = parser.finish();
  ASSERT_EQ(databases.size(), 1u);
  EXPECT_EQ(databases[0].records, parse_db_dump(kDump)[0].records);
}

TEST(DbDumpParser, TheLastLineNeedsNoNewline) {
  const std::string text(kDump.substr(0, kDump.size() - 1));
  EXPECT_EQ(parse_db_dump(text)[0].records.size(), 2u);
}

TEST(DbDumpParser, ReadsEveryDatabaseOfAFile) {
  // A file with sub-databases, as db_dump 5.3 prints it.
  const auto databases = parse_db_dump(
      "VERSION=3\nformat=print\ndatabase=one\ntype=btree\ndb_pagesize=4096\nHEADER=END\n a\n 1\nDATA=END\n"
      "VERSION=3\nformat=print\ndatabase=t\\77o\ntype=hash\nh_nelem=1\nHEADER=END\nDATA=END\n");
  ASSERT_EQ(databases.size(), 2u);
  EXPECT_EQ(databases[0].name, "one");
  EXPECT_EQ(databases[0].records, (std::vector<DbDumpRecord>{{"a", "1"}}));
  EXPECT_EQ(databases[1].name, "two");
  EXPECT_EQ(databases[1].type, "hash");
  EXPECT_TRUE(databases[1].records.empty());
}

TEST(DbDumpParser, ATruncatedDumpIsRefused) {
  EXPECT_EQ(error_of(""), "the dump is empty");
  EXPECT_EQ(error_of(kDump.substr(0, kDump.find("DATA=END"))),
            "the dump stops at line 9, before DATA=END: it is truncated");
  EXPECT_EQ(error_of("VERSION=3\nformat=print\n"), "the dump stops at line 2, before HEADER=END: it is truncated");
  // Cut inside a record: the key has no value.
  EXPECT_EQ(error_of(kDump.substr(0, kDump.find(" 1700000000"))),
            "the dump stops at line 6, before DATA=END: it is truncated");
}

TEST(DbDumpParser, EveryLineThatDoesNotFitIsRefusedWithItsNumber) {
  const std::string header = "VERSION=3\nformat=print\ntype=btree\nHEADER=END\n";
  const std::pair<std::string, std::string> cases[] = {
      {"VERSION=2\n", "line 1: format version '2' is not 3"},
      {"hello\n", "line 1: expected VERSION=3"},
      {"VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\n", "line 4: format is not print"},
      {"VERSION=3\ntype=btree\nHEADER=END\n", "line 3: no format= line in the header"},
      {"VERSION=3\nformat=print\nHEADER=END\n", "line 3: no type= line in the header"},
      {"VERSION=3\nformat=print\nno equals sign\n", "line 3: expected NAME=VALUE or HEADER=END, not 'no equals sign'"},
      {header + "key without a space\n", "line 5: expected a key (a line starting with a space) or DATA=END"},
      {header + " key\nDATA=END\n", "line 6: DATA=END after a key without its value"},
      {header + " key\nvalue\n", "line 6: expected a value (a line starting with a space)"},
      {header + " bad\\escape\n 1\n", "line 5: a backslash not followed by two hex digits or a backslash"},
      {header + " k\n trailing\\\n", "line 6: a backslash not followed by two hex digits or a backslash"},
      {header + " k\n 1\\4\n", "line 6: a backslash not followed by two hex digits or a backslash"},
      {header + "DATA=END\nmore\n", "line 6: expected the end, or VERSION=3 for another database"},
  };
  for (const auto& [text, message] : cases) EXPECT_EQ(error_of(text), message) << text;
}

TEST(DbDumpParser, AnEndlessLineIsRefusedBeforeItFillsMemory) {
  DbDumpParser parser;
  parser.feed("VERSION=3\nformat=print\ntype=btree\nHEADER=END\n ");
  const std::string piece(64 * 1024, 'x');
  std::string message;
  try {
    for (int i = 0; i < 32; ++i) parser.feed(piece);
  } catch (const DbDumpError& e) {
    message = e.what();
  }
  EXPECT_EQ(message, "line 5: longer than 1048576 bytes");
}

TEST(DbDumpParser, PrintableIsTheInverseOfUnescape) {
  const std::string bytes("a\\b\x01\xff z", 7);
  EXPECT_EQ(db_dump_printable(bytes), "a\\\\b\\01\\ff z");
  EXPECT_EQ(db_dump_unescape(db_dump_printable(bytes)), bytes);
  EXPECT_EQ(db_dump_printable("abcdef", 3), "abc...");
}

}  // namespace
}  // namespace grayling
