#pragma once
/// postgrey's greylist, read from its databases' dumps (db_dump_parser.hpp), and the
/// grayling rows it becomes: grayling-admin import-postgrey. Pure: no I/O.
///
/// What postgrey (1.37, BerkeleyDB btree files in its --dbdir) stores, and nothing else
/// (the times of its maintenance runs are kept in memory only):
///
///   postgrey.db          "CLIENT/SENDER/RECIPIENT" -> "FIRST,LAST" (seconds since 1970)
///                        the key lower-cased; CLIENT is the /24 or /64 network,
///                        "192.0.2.0" or "2001:db8:1:2:0:0:0:0", or with --lookup-by-host
///                        "192.0.2.7/32"; with --privacy the key is its SHA-1 in hex.
///                        Before 1.37 the value was often "FIRST,LAST,HOST" (the address's
///                        last byte, never read back).
///   postgrey_clients.db  "CLIENT" -> "COUNT,LAST" (the auto-whitelist; absent when off)
///                        CLIENT is the address as NetAddr::IP prints it, not lower-cased:
///                        "192.0.2.7", "2001:DB8:0:0:0:0:0:1"; with --privacy its SHA-1.
///
/// postgrey keeps no "passed" flag: a triplet has passed when LAST - FIRST >= --delay.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "grayling/admin/db_dump_parser.hpp"
#include "grayling/core/records.hpp"

namespace grayling {

/// The names of postgrey's two databases in its --dbdir.
inline constexpr std::string_view kPostgreyTripletsFile = "postgrey.db";
inline constexpr std::string_view kPostgreyClientsFile = "postgrey_clients.db";

/// One triplet of postgrey.db, its key as postgrey made it.
struct PostgreyTriplet {
  std::string key;
  EpochSeconds first_seen = 0;
  EpochSeconds last_seen = 0;
  friend bool operator==(const PostgreyTriplet&, const PostgreyTriplet&) = default;
};

/// One auto-whitelisted client of postgrey_clients.db, its key as postgrey made it.
struct PostgreyClient {
  std::string key;
  std::int64_t count = 0;
  EpochSeconds last_seen = 0;
  friend bool operator==(const PostgreyClient&, const PostgreyClient&) = default;
};

/// Why a well-formed record is not imported. Fixed categories, so a summary can count them.
enum class PostgreySkipReason {
  not_a_triplet_key,  // neither CLIENT/SENDER/RECIPIENT nor a SHA-1: not a key postgrey makes
  not_a_client_key,   // neither an address nor a SHA-1
  last_before_first,  // postgrey never writes one: grayling would keep it pending forever
  in_the_future,      // last seen later than now (and the slack): a clock was wrong
  zero_count,         // postgrey counts from 1
  expired,            // last seen before max-age: grayling's expiry would delete it at once
  pending_expired,    // never passed, and not retried within the retry window: the same
  // Keys made with other settings than grayling's, which it would never look up
  // (postgrey_keys.hpp):
  digest_without_privacy,  // a SHA-1 (postgrey --privacy), and grayling runs without --privacy
  network_key_by_host,     // a network, and grayling keys by host (--lookup-by-host)
  wider_ipv4_network,      // a network wider than grayling's --ipv4cidr (postgrey's --ipv4cidr)
  wider_ipv6_network,      // the same for IPv6
  digest_by_network,       // a client's SHA-1, and grayling counts the auto-whitelist by network
};

/// The reason as a phrase for the summary, e.g. "last seen before first seen".
[[nodiscard]] std::string_view describe(PostgreySkipReason reason);

/// A record left out, and why.
struct PostgreySkip {
  std::string file;  // kPostgreyTripletsFile or kPostgreyClientsFile
  std::string key;   // as stored (a message shows it through db_dump_printable)
  PostgreySkipReason reason{};
  friend bool operator==(const PostgreySkip&, const PostgreySkip&) = default;
};

/// What the dumps of postgrey's databases hold, sorted into what imports and what not.
struct PostgreyState {
  std::vector<PostgreyTriplet> triplets;
  std::vector<PostgreyClient> clients;
  std::vector<PostgreySkip> skipped;
  // Records that are not what postgrey writes, one message each:
  // "postgrey.db: record 12: value 'x' is not FIRST,LAST".
  std::vector<std::string> malformed;
};

/// The settings a record is judged by: grayling's, where postgrey had its own.
struct PostgreyRules {
  EpochSeconds now = 0;
  std::int64_t delay = 300;  // grayling's --delay: a triplet passed if LAST - FIRST >= delay
  // How far past `now` a timestamp may lie: clocks of the hosts that wrote it may differ.
  std::int64_t future_slack = 3600;
  // Rows that expire() would delete at once (grayling's --max-age and --retry-window at
  // `now`) are skipped; nullopt imports them and leaves them to the daemon's expiry.
  std::optional<ExpiryCutoffs> expiry;
};

/// Sorts the records of postgrey.db's dump into `state`. Throws std::runtime_error
/// "postgrey.db: ..." for a file that cannot be postgrey's (several databases, or one
/// that is not a btree or hash).
void add_postgrey_triplets(PostgreyState& state, std::vector<DbDumpDatabase> dump, const PostgreyRules& rules);
/// The same for postgrey_clients.db.
void add_postgrey_clients(PostgreyState& state, std::vector<DbDumpDatabase> dump, const PostgreyRules& rules);

/// postgrey's own test: the triplet was retried at least `delay` seconds after its first
/// sighting.
[[nodiscard]] bool postgrey_passed(const PostgreyTriplet& triplet, std::int64_t delay);

/// What --privacy stores: Digest::SHA::sha1_hex, 40 lower-case hex digits.
[[nodiscard]] bool is_sha1_hex(std::string_view key);

}  // namespace grayling
