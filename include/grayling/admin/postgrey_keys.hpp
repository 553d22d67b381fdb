#pragma once
/// The keys grayling builds for postgrey's rows (grayling-admin import-postgrey), so that
/// every row imported is one grayling looks up. Pure: no I/O.
///
/// postgrey's keys differ from grayling's where grayling normalises senders further (hex
/// ids and UUIDs become '#', SRS is unwrapped: triplet_key.hpp) and where postgrey ran
/// with other key settings. A clear key is taken apart and built again by grayling's own
/// engine (its sender rules, network, --privacy): a key by host becomes the host's
/// network, a narrower network grayling's. What cannot be rebuilt is left out and
/// counted: a SHA-1 digest (postgrey --privacy) for a grayling without --privacy, a
/// network for a grayling that keys by host, networks wider than grayling's.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "grayling/admin/postgrey_data.hpp"
#include "grayling/admin/transfer.hpp"
#include "grayling/core/policy_engine.hpp"

namespace grayling {

/// Distinct networks of one family a key set needs before its widest network is taken
/// for postgrey's --ipv4cidr/--ipv6cidr: real /64s often end in zero bits, /24s rarely.
inline constexpr std::size_t kWideIpv4Evidence = 8;
inline constexpr std::size_t kWideIpv6Evidence = 64;

/// postgrey's rows as grayling files them.
struct PostgreyImport {
  Dump rows;  // sorted by id, one row per id: what import_rows takes
  std::size_t rekeyed_triplets = 0;  // filed under another key than postgrey's
  std::size_t rekeyed_clients = 0;
  std::size_t merged = 0;    // rows folded into another one under the same grayling key
  std::size_t by_host = 0;   // triplets postgrey keyed by host (--lookup-by-host), filed by network
  std::size_t narrower = 0;  // triplets keyed by a network narrower than grayling's, filed by it
  // The prefix postgrey's networks of a family were made with, where it is wider than
  // grayling's (their rows are skipped: wider_ipv4_network, wider_ipv6_network).
  std::optional<int> wider_ipv4;
  std::optional<int> wider_ipv6;
  std::vector<PostgreySkip> skipped;  // rows grayling would never look up
};

/// The rows grayling files for `state`, keyed as `engine` keys requests; passed is
/// postgrey_passed(its --delay). Rows that become one key are merged (merged_record:
/// earliest first sighting, latest last one, passed if either passed; the higher count).
[[nodiscard]] PostgreyImport grayling_rows(const PostgreyState& state, const PolicyEngine& engine);

/// One sentence per kind of key that was filed anew or left out because postgrey's
/// settings were not grayling's, with its count, for the administrator.
[[nodiscard]] std::vector<std::string> postgrey_warnings(const PostgreyImport& import, const EngineSettings& settings);

/// The key grayling builds for the client postgrey filed under `postgrey_key`: an IPv6
/// address in grayling's form, IpAddress::to_expanded_string (NetAddr::IP's text, which
/// postgrey stores, in lower case); an IPv4 address and a SHA-1 stay as they are.
[[nodiscard]] std::string grayling_client_key(std::string_view postgrey_key);

/// postgrey's sender with digits put back into UUID groups its \b\d+\b made '#' of
/// ("5f3a9c2e-#-4b7c-..."), so that grayling's UUID rule sees the UUID postgrey saw.
[[nodiscard]] std::string with_uuid_digits(std::string_view sender);

}  // namespace grayling
