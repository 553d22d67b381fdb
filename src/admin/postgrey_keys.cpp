#include "grayling/admin/postgrey_keys.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "grayling/core/ip_address.hpp"
#include "grayling/core/triplet_key.hpp"
#include "grayling/store/row_ids.hpp"

namespace grayling {

namespace {

// Below one chance in 2^40 that networks made with grayling's prefix all end in this
// many zero bits (each bit taken as a coin): evidence enough to call them wider.
constexpr int kWideEvidenceBits = 40;

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/// A clear postgrey triplet key taken apart: "CLIENT[/BITS]/SENDER/RECIPIENT".
struct ClearKey {
  IpAddress address;
  bool by_host = false;  // "192.0.2.7/32": --lookup-by-host
  std::string_view sender;
  std::string_view recipient;
};

// The sender ends at the first '/' after the client: a '/' in its local part then ends it
// early, leaving a part without '@' that normalize_sender does not change, so such a key
// is built again exactly as postgrey made it.
std::optional<ClearKey> parse_clear_key(std::string_view key) {
  const std::size_t slash = key.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto address = IpAddress::parse(key.substr(0, slash));
  if (!address) return std::nullopt;
  ClearKey parts{.address = *address, .by_host = false, .sender = {}, .recipient = {}};
  std::string_view rest = key.substr(slash + 1);
  const std::string host_bits = std::to_string(address->bit_count()) + "/";
  if (rest.starts_with(host_bits) && rest.find('/', host_bits.size()) != std::string_view::npos) {
    parts.by_host = true;
    rest.remove_prefix(host_bits.size());
  }
  const std::size_t between = rest.find('/');
  if (between == std::string_view::npos) return std::nullopt;
  parts.sender = rest.substr(0, between);
  parts.recipient = rest.substr(between + 1);
  return parts;
}

/// The shortest prefix that holds every bit set in `address`.
int needed_prefix(const IpAddress& address) {
  for (int prefix = 0; prefix < address.bit_count(); ++prefix) {
    if (address.masked(prefix) == address) return prefix;
  }
  return address.bit_count();
}

/// The prefix distinct `networks` (address -> needed_prefix) were made with, if enough of
/// them show one wider than grayling's `prefix`.
std::optional<int> wider_prefix(const std::map<std::string, int>& networks, int prefix, std::size_t evidence) {
  if (networks.size() < evidence) return std::nullopt;
  int widest = 0;
  for (const auto& [text, needed] : networks) widest = std::max(widest, needed);
  if (widest >= prefix) return std::nullopt;
  if (static_cast<std::size_t>(prefix - widest) * networks.size() < kWideEvidenceBits) return std::nullopt;
  return widest;
}

std::size_t count_skipped(const PostgreyImport& import, std::string_view file, PostgreySkipReason reason) {
  return static_cast<std::size_t>(std::count_if(import.skipped.begin(), import.skipped.end(), [&](const PostgreySkip& skip) {
    return skip.file == file && skip.reason == reason;
  }));
}

}  // namespace

std::string with_uuid_digits(std::string_view sender) {
  static constexpr std::size_t kGroups[] = {8, 4, 4, 4, 12};
  const std::size_t at = sender.find('@');
  const std::string_view local = sender.substr(0, at);
  std::string out;
  std::size_t i = 0;
  while (i < local.size()) {
    if (i == 0 || !is_word_char(local[i - 1])) {
      std::string uuid;
      std::size_t j = i;
      bool hashed = false;
      bool hex = false;
      bool whole = true;
      for (std::size_t group = 0; group < std::size(kGroups) && whole; ++group) {
        if (group > 0) {
          if (j >= local.size() || local[j] != '-') whole = false;
          uuid.push_back('-');
          ++j;
        }
        if (!whole) break;
        if (j < local.size() && local[j] == '#') {
          uuid.append(kGroups[group], '0');  // any digits: grayling makes '#' of the whole UUID
          hashed = true;
          ++j;
          continue;
        }
        for (std::size_t n = 0; n < kGroups[group]; ++n, ++j) {
          if (j >= local.size() || !is_hex(local[j])) {
            whole = false;
            break;
          }
          uuid.push_back(local[j]);
        }
        hex = hex || whole;
      }
      if (whole && hashed && hex && (j == local.size() || !is_word_char(local[j]))) {
        out += uuid;
        i = j;
        continue;
      }
    }
    out.push_back(local[i++]);
  }
  if (at != std::string_view::npos) out.append(sender.substr(at));
  return out;
}

std::string grayling_client_key(std::string_view postgrey_key) {
  // Only an IPv6 address changes: grayling's key is its to_expanded_string(), which is
  // NetAddr::IP's text in lower case. A compressed "2001:db8::1" (postgrey before 1.36
  // stored Postfix's text) becomes the same expanded form; an IPv4-mapped one is counted
  // under its IPv4 address, as grayling counts that client.
  if (postgrey_key.find(':') != std::string_view::npos) {
    if (const auto address = IpAddress::parse(postgrey_key)) return address->unmapped().to_expanded_string();
  }
  return std::string(postgrey_key);
}

PostgreyImport grayling_rows(const PostgreyState& state, const PolicyEngine& engine) {
  const EngineSettings& settings = engine.settings();
  const std::string triplets_file(kPostgreyTripletsFile);
  const std::string clients_file(kPostgreyClientsFile);
  PostgreyImport import;

  // postgrey's networks, to tell whether they were made wider than grayling's.
  std::vector<std::optional<ClearKey>> parsed;
  parsed.reserve(state.triplets.size());
  std::map<std::string, int> networks_v4, networks_v6;
  for (const PostgreyTriplet& triplet : state.triplets) {
    parsed.push_back(is_sha1_hex(triplet.key) ? std::nullopt : parse_clear_key(triplet.key));
    const auto& parts = parsed.back();
    if (!parts || parts->by_host || settings.keys.lookup_by_host) continue;
    auto& networks = parts->address.family == IpAddress::Family::v4 ? networks_v4 : networks_v6;
    networks.emplace(parts->address.to_expanded_string(), needed_prefix(parts->address));
  }
  import.wider_ipv4 = wider_prefix(networks_v4, settings.keys.ipv4_prefix, kWideIpv4Evidence);
  import.wider_ipv6 = wider_prefix(networks_v6, settings.keys.ipv6_prefix, kWideIpv6Evidence);

  for (std::size_t i = 0; i < state.triplets.size(); ++i) {
    const PostgreyTriplet& triplet = state.triplets[i];
    std::optional<PostgreySkipReason> skip;
    std::string key;
    if (!parsed[i]) {  // a SHA-1: add_postgrey_triplets lets only those and clear keys through
      if (settings.privacy) {
        key = triplet.key;  // hashed as grayling hashes; the sender cannot be normalised again
      } else {
        skip = PostgreySkipReason::digest_without_privacy;
      }
    } else {
      const ClearKey& parts = *parsed[i];
      const bool v4 = parts.address.family == IpAddress::Family::v4;
      if (!parts.by_host && settings.keys.lookup_by_host) {
        skip = PostgreySkipReason::network_key_by_host;
      } else if (!parts.by_host && (v4 ? import.wider_ipv4 : import.wider_ipv6)) {
        skip = v4 ? PostgreySkipReason::wider_ipv4_network : PostgreySkipReason::wider_ipv6_network;
      } else {
        if (parts.by_host && !settings.keys.lookup_by_host) {
          ++import.by_host;
        } else if (!parts.by_host && client_key(parts.address, settings.keys) != parts.address.to_expanded_string()) {
          ++import.narrower;
        }
        // The engine's own key for this client, sender and recipient: postgrey's sender
        // rules are a subset of grayling's, so normalising its sender again gives grayling's.
        key = engine.lookup(parts.address, with_uuid_digits(parts.sender), parts.recipient).key;
      }
    }
    if (skip) {
      import.skipped.push_back({triplets_file, triplet.key, *skip});
      continue;
    }
    if (key != triplet.key) ++import.rekeyed_triplets;
    const TripletRecord record{triplet.first_seen, triplet.last_seen, postgrey_passed(triplet, settings.delay)};
    import.rows.triplets.push_back(TripletRow{store_key_digest(key), record, std::move(key)});
  }

  const bool awl = settings.auto_whitelist_clients > 0;
  for (const PostgreyClient& client : state.clients) {
    std::optional<PostgreySkipReason> skip;
    std::string key;
    if (!awl) {
      key = grayling_client_key(client.key);  // never read while the auto-whitelist is off
    } else if (is_sha1_hex(client.key)) {
      if (!settings.privacy) {
        skip = PostgreySkipReason::digest_without_privacy;
      } else if (settings.awl_by_prefix) {
        skip = PostgreySkipReason::digest_by_network;
      } else {
        key = client.key;
      }
    } else {
      key = engine.awl_key(*IpAddress::parse(client.key));  // add_postgrey_clients checked it parses
    }
    if (skip) {
      import.skipped.push_back({clients_file, client.key, *skip});
      continue;
    }
    if (key != client.key) ++import.rekeyed_clients;
    const std::int64_t id = store_key_digest(key);
    import.rows.clients.push_back(ClientRow{id, ClientRecord{client.count, client.last_seen}, std::move(key)});
  }
  const std::size_t rows = import.rows.triplets.size() + import.rows.clients.size();
  fold_rows(import.rows);
  import.merged = rows - import.rows.triplets.size() - import.rows.clients.size();
  return import;
}

std::vector<std::string> postgrey_warnings(const PostgreyImport& import, const EngineSettings& settings) {
  using R = PostgreySkipReason;
  constexpr std::string_view kNeverLookedUp = "it would never look them up, so they are not imported";
  const std::string_view triplets = kPostgreyTripletsFile;
  const std::string_view clients = kPostgreyClientsFile;
  std::vector<std::string> warnings;
  if (const auto n = count_skipped(import, triplets, R::digest_without_privacy)) {
    warnings.push_back(fmt::format("{} triplets are SHA-1 digests (postgrey --privacy) and grayling runs without "
                                   "--privacy: {} (give grayling --privacy to import them)",
                                   n, kNeverLookedUp));
  }
  if (const auto n = count_skipped(import, clients, R::digest_without_privacy)) {
    warnings.push_back(fmt::format("{} auto-whitelisted clients are SHA-1 digests (postgrey --privacy) and grayling "
                                   "runs without --privacy: {} (give grayling --privacy to import them)",
                                   n, kNeverLookedUp));
  }
  if (const auto n = count_skipped(import, clients, R::digest_by_network)) {
    warnings.push_back(fmt::format("{} auto-whitelisted clients are SHA-1 digests of addresses (postgrey --privacy) "
                                   "and grayling counts the auto-whitelist by network (--awl-prefix): {}",
                                   n, kNeverLookedUp));
  }
  if (const auto n = count_skipped(import, triplets, R::network_key_by_host)) {
    warnings.push_back(fmt::format("{} triplets are keyed by network and grayling keys by host (--lookup-by-host): "
                                   "{} (run grayling without --lookup-by-host to import them)",
                                   n, kNeverLookedUp));
  }
  const auto wider = [&](R reason, const std::optional<int>& prefix, int grayling_prefix, std::string_view option) {
    if (const auto n = count_skipped(import, triplets, reason); n > 0 && prefix) {
      warnings.push_back(fmt::format("{} triplets are keyed by /{} networks (postgrey {}={}?) and grayling keys by "
                                     "/{}: {} (give grayling {}={} to import them)",
                                     n, *prefix, option, *prefix, grayling_prefix, kNeverLookedUp, option, *prefix));
    }
  };
  wider(R::wider_ipv4_network, import.wider_ipv4, settings.keys.ipv4_prefix, "--ipv4cidr");
  wider(R::wider_ipv6_network, import.wider_ipv6, settings.keys.ipv6_prefix, "--ipv6cidr");
  if (import.by_host > 0) {
    warnings.push_back(fmt::format("{} triplets were keyed by host (postgrey --lookup-by-host) and grayling keys by "
                                   "network: they are filed under grayling's network keys",
                                   import.by_host));
  }
  if (import.narrower > 0) {
    warnings.push_back(fmt::format("{} triplets were keyed by networks narrower than grayling's /{} and /{} (postgrey "
                                   "--ipv4cidr, --ipv6cidr): they are filed under grayling's networks",
                                   import.narrower, settings.keys.ipv4_prefix, settings.keys.ipv6_prefix));
  }
  return warnings;
}

}  // namespace grayling
