#pragma once
/// grayling's portable dump of a store: JSON lines, one row per line, filed under the
/// digests every backend files them under, with their keys where the store knows them.
/// Any store can be written out in it and read into any other (grayling-admin export and
/// import), so it moves an SQLite greylist into a shared PostgreSQL database, and it is
/// the backup format.
///
///   {"grayling_dump":2,"version":"0.2.0","written":1764662400}
///   {"triplet":"8f3a09c2b1d4e5f6","first_seen":1764660000,"last_seen":1764660400,"passed":true,
///    "key":"192.0.2.0/alice@example.org/bob@example.net"}
///   {"client":"0c1d2e3f4a5b6c7d","count":6,"last_seen":1764662000,"key":"192.0.2.1"}
///
/// The first line names the format and its version; a reader refuses a newer one. Ids are
/// the 16 hex digits of the 64-bit digest: exact in any JSON reader (a number this large
/// is not), and greppable. A key that is not valid UTF-8 goes as "key_hex". Format 1
/// (before keys were kept) is read as rows without keys.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>

#include "grayling/store/store.hpp"

namespace grayling {

/// The dump format's version this build writes and reads.
inline constexpr int kDumpFormat = 2;

/// A line that is not what the format allows; the message says what is wrong with it.
class DumpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The first line of a dump written at `written`.
[[nodiscard]] std::string dump_header(EpochSeconds written);
/// Throws DumpError unless `line` is a dump header of a format this build reads.
void check_dump_header(std::string_view line);

/// One row's line, without the newline.
[[nodiscard]] std::string dump_line(const TripletRow& row);
[[nodiscard]] std::string dump_line(const ClientRow& row);

using DumpRow = std::variant<TripletRow, ClientRow>;
/// The row a line holds. Throws DumpError for anything else: not JSON, a missing or
/// mistyped field, an unknown field, a malformed id, a negative count, a key whose digest
/// is not the row's id.
[[nodiscard]] DumpRow parse_dump_line(std::string_view line);

/// A row id as 16 lowercase hex digits, and back (nullopt unless exactly that).
[[nodiscard]] std::string row_id_hex(std::int64_t id);
[[nodiscard]] std::optional<std::int64_t> parse_row_id(std::string_view hex);

}  // namespace grayling
