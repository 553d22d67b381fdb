#pragma once
/// Berkeley DB's portable text format, as `db_dump -p` prints it: how grayling-admin reads
/// postgrey's databases without linking libdb (postgrey_reader.hpp runs db_dump).
///
///   VERSION=3            one section per database in the file, each opened by VERSION=3
///   format=print
///   type=btree
///   db_pagesize=4096     further name=value lines, as the file's settings require
///   HEADER=END
///    key                 data lines start with one space; bytes that are not printable
///    value               are \xx (two hex digits), a backslash is \\ .
///   DATA=END
///
/// Pure: bytes in, records out. Fed in pieces as they arrive from the pipe, so a dump of
/// some hundred MB is never held whole beside its records.

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace grayling {

/// Output that is not a whole db_dump -p dump; the message names the line and what is wrong.
class DbDumpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One key/value pair, unescaped: the bytes the database holds.
struct DbDumpRecord {
  std::string key;
  std::string value;
  friend bool operator==(const DbDumpRecord&, const DbDumpRecord&) = default;
};

/// One database of the dump: a file holds one, or several named sub-databases.
struct DbDumpDatabase {
  std::string name;  // database=NAME for a sub-database; empty for a file's only database
  std::string type;  // btree, hash, recno, queue, heap
  std::vector<DbDumpRecord> records;
};

/// Reads a dump piece by piece: feed() what arrives, finish() at the end.
class DbDumpParser {
 public:
  /// Longest line accepted: a postgrey key is some hundred bytes; a line of megabytes
  /// is not a dump of a greylist, and must not grow a buffer without bound.
  static constexpr std::size_t kMaxLine = 1 << 20;

  /// Parses every whole line in `bytes`; a part line waits for the next piece. Throws
  /// DbDumpError "line N: ..." at the first line that does not fit the format.
  void feed(std::string_view bytes);
  /// The databases, once the dump has ended where one may end (after DATA=END). Throws
  /// DbDumpError for a dump that is empty or stops early (a truncated one).
  [[nodiscard]] std::vector<DbDumpDatabase> finish();

  /// Records read so far, for a progress report.
  [[nodiscard]] std::size_t records() const { return records_; }

 private:
  enum class State { version, header, key, value, ended };

  void parse_line(std::string_view line);
  void header_line(std::string_view line);
  [[nodiscard]] DbDumpError error(std::string_view what) const;

  State state_ = State::version;
  std::string partial_;  // a line without its newline yet
  std::size_t line_ = 0;
  std::size_t records_ = 0;
  std::string format_;
  std::string key_;
  std::vector<DbDumpDatabase> databases_;
};

/// A whole dump at once: feed(text), then finish().
[[nodiscard]] std::vector<DbDumpDatabase> parse_db_dump(std::string_view text);

/// Undoes db_dump -p's escapes (\xx and \\). Throws DbDumpError (without a line number)
/// for a backslash followed by anything else.
[[nodiscard]] std::string db_dump_unescape(std::string_view text);

/// `bytes` as db_dump -p would print them, cut after `max` bytes: a key or value that is
/// safe to put into a message.
[[nodiscard]] std::string db_dump_printable(std::string_view bytes, std::size_t max = 80);

}  // namespace grayling
