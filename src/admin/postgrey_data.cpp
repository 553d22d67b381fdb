#include "grayling/admin/postgrey_data.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "grayling/core/ip_address.hpp"

namespace grayling {

namespace {

bool is_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Digits only: postgrey writes time() and counts with Perl's "$n", never a sign, a
// fraction or spaces.
std::optional<std::int64_t> parse_count(std::string_view text) {
  if (!is_digits(text)) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::vector<std::string_view> split_commas(std::string_view text) {
  std::vector<std::string_view> fields;
  for (;;) {
    const std::size_t comma = text.find(',');
    fields.push_back(text.substr(0, comma));
    if (comma == std::string_view::npos) return fields;
    text.remove_prefix(comma + 1);
  }
}

// CLIENT/SENDER/RECIPIENT with an address or network first; the sender may be empty (the
// null sender) and any part may hold more slashes (--lookup-by-host's "/32").
bool is_triplet_key(std::string_view key) {
  if (is_sha1_hex(key)) return true;
  const std::size_t slash = key.find('/');
  if (slash == std::string_view::npos || key.find('/', slash + 1) == std::string_view::npos) return false;
  return IpAddress::parse(key.substr(0, slash)).has_value();
}

bool is_client_key(std::string_view key) { return is_sha1_hex(key) || IpAddress::parse(key).has_value(); }

/// The only database of a postgrey file. postgrey opens its files as btrees; a hash is
/// accepted, as an administrator may have rebuilt one with db_load.
DbDumpDatabase only_database(std::vector<DbDumpDatabase>& dump, std::string_view file) {
  if (dump.size() != 1) {
    throw std::runtime_error(
        fmt::format("{}: holds {} databases; postgrey's holds one: not postgrey's file", file, dump.size()));
  }
  if (!dump[0].name.empty()) {
    throw std::runtime_error(
        fmt::format("{}: holds a sub-database '{}': not postgrey's file", file, db_dump_printable(dump[0].name)));
  }
  if (dump[0].type != "btree" && dump[0].type != "hash") {
    throw std::runtime_error(fmt::format("{}: a {} database, not a btree: not postgrey's file", file, dump[0].type));
  }
  return std::move(dump[0]);
}

std::string malformed(std::string_view file, std::size_t record, std::string_view what) {
  return fmt::format("{}: record {}: {}", file, record, what);
}

/// The reasons a record with sane timestamps is still left out, by grayling's rules.
std::optional<PostgreySkipReason> left_out_by_rules(EpochSeconds last_seen, bool passed, const PostgreyRules& rules) {
  if (last_seen > rules.now + rules.future_slack) return PostgreySkipReason::in_the_future;
  if (!rules.expiry) return std::nullopt;
  // As Store::expire judges rows (memory_store.cpp), so the two never disagree.
  if (last_seen < rules.expiry->max_age_before) return PostgreySkipReason::expired;
  if (!passed && last_seen < rules.expiry->pending_before) return PostgreySkipReason::pending_expired;
  return std::nullopt;
}

}  // namespace

std::string_view describe(PostgreySkipReason reason) {
  switch (reason) {
    case PostgreySkipReason::not_a_triplet_key:
      return "key is not CLIENT/SENDER/RECIPIENT or a SHA-1";
    case PostgreySkipReason::not_a_client_key:
      return "key is not a client address or a SHA-1";
    case PostgreySkipReason::last_before_first:
      return "last seen before first seen";
    case PostgreySkipReason::in_the_future:
      return "last seen in the future";
    case PostgreySkipReason::zero_count:
      return "count is zero";
    case PostgreySkipReason::expired:
      return "not seen within max-age";
    case PostgreySkipReason::pending_expired:
      return "never passed and not retried within retry-window";
    case PostgreySkipReason::digest_without_privacy:
      return "a SHA-1 digest (postgrey --privacy), and grayling runs without --privacy";
    case PostgreySkipReason::network_key_by_host:
      return "keyed by network, and grayling keys by host (--lookup-by-host)";
    case PostgreySkipReason::wider_ipv4_network:
      return "keyed by an IPv4 network wider than grayling's --ipv4cidr";
    case PostgreySkipReason::wider_ipv6_network:
      return "keyed by an IPv6 network wider than grayling's --ipv6cidr";
    case PostgreySkipReason::digest_by_network:
      return "a SHA-1 digest of an address, and grayling counts the auto-whitelist by network (--awl-prefix)";
  }
  return "unknown";
}

bool is_sha1_hex(std::string_view key) {
  return key.size() == 40 &&
         std::all_of(key.begin(), key.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool postgrey_passed(const PostgreyTriplet& triplet, std::int64_t delay) {
  return triplet.last_seen - triplet.first_seen >= delay;
}

void add_postgrey_triplets(PostgreyState& state, std::vector<DbDumpDatabase> dump, const PostgreyRules& rules) {
  const std::string_view file = kPostgreyTripletsFile;
  DbDumpDatabase database = only_database(dump, file);
  std::size_t number = 0;
  for (DbDumpRecord& record : database.records) {
    ++number;
    if (record.key.empty()) {
      state.malformed.push_back(malformed(file, number, "empty key"));
      continue;
    }
    const auto fields = split_commas(record.value);
    const auto first = parse_count(fields[0]);
    const auto last = fields.size() >= 2 ? parse_count(fields[1]) : std::nullopt;
    // A third field is the host part postgrey before 1.37 kept beside the network (the
    // address's last byte); postgrey itself never reads it back.
    const bool legacy_host_ok = fields.size() == 2 || (fields.size() == 3 && is_digits(fields[2]));
    if (!first || !last || !legacy_host_ok) {
      state.malformed.push_back(
          malformed(file, number, fmt::format("value '{}' is not FIRST,LAST", db_dump_printable(record.value))));
      continue;
    }
    PostgreyTriplet triplet{std::move(record.key), *first, *last};
    std::optional<PostgreySkipReason> skip;
    if (!is_triplet_key(triplet.key)) {
      skip = PostgreySkipReason::not_a_triplet_key;
    } else if (triplet.last_seen < triplet.first_seen) {
      skip = PostgreySkipReason::last_before_first;
    } else {
      skip = left_out_by_rules(triplet.last_seen, postgrey_passed(triplet, rules.delay), rules);
    }
    if (skip) {
      state.skipped.push_back({std::string(file), std::move(triplet.key), *skip});
    } else {
      state.triplets.push_back(std::move(triplet));
    }
  }
}

void add_postgrey_clients(PostgreyState& state, std::vector<DbDumpDatabase> dump, const PostgreyRules& rules) {
  const std::string_view file = kPostgreyClientsFile;
  DbDumpDatabase database = only_database(dump, file);
  std::size_t number = 0;
  for (DbDumpRecord& record : database.records) {
    ++number;
    if (record.key.empty()) {
      state.malformed.push_back(malformed(file, number, "empty key"));
      continue;
    }
    const auto fields = split_commas(record.value);
    const auto count = parse_count(fields[0]);
    const auto last = fields.size() == 2 ? parse_count(fields[1]) : std::nullopt;
    if (!count || !last) {
      state.malformed.push_back(
          malformed(file, number, fmt::format("value '{}' is not COUNT,LAST", db_dump_printable(record.value))));
      continue;
    }
    PostgreyClient client{std::move(record.key), *count, *last};
    std::optional<PostgreySkipReason> skip;
    if (!is_client_key(client.key)) {
      skip = PostgreySkipReason::not_a_client_key;
    } else if (client.count == 0) {
      skip = PostgreySkipReason::zero_count;
    } else {
      skip = left_out_by_rules(client.last_seen, /*passed=*/true, rules);
    }
    if (skip) {
      state.skipped.push_back({std::string(file), std::move(client.key), *skip});
    } else {
      state.clients.push_back(std::move(client));
    }
  }
}

}  // namespace grayling
