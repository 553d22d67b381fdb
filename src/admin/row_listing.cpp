#include "grayling/admin/row_listing.hpp"

#include <fmt/format.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "grayling/admin/row_dump.hpp"
#include "grayling/admin/time_text.hpp"
#include "grayling/core/ip_address.hpp"
#include "grayling/core/triplet_key.hpp"

namespace grayling {

namespace {

using nlohmann::ordered_json;

bool all_digits(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

/// `part` is `wanted`, or `wanted` is "@domain" and `part` an address of it.
bool part_matches(std::string_view part, const std::optional<std::string>& wanted) {
  if (!wanted) return true;
  if (wanted->starts_with('@')) return part.ends_with(*wanted);
  return part == *wanted;
}

/// JSON text of a key that may not be UTF-8: invalid bytes become U+FFFD.
std::string json_text(const ordered_json& object) { return object.dump(-1, ' ', false, ordered_json::error_handler_t::replace); }

std::string key_or_unknown(const std::string& key) { return key.empty() ? std::string(kUnknownKey) : key; }

}  // namespace

std::optional<TripletKeyParts> split_triplet_key(std::string_view key) {
  std::size_t client_end = key.find('/');
  if (client_end == std::string_view::npos) return std::nullopt;
  // "198.51.100.7/32/sender/recipient": --lookup-by-host keys carry the prefix length.
  const std::size_t next = key.find('/', client_end + 1);
  if (next != std::string_view::npos && all_digits(key.substr(client_end + 1, next - client_end - 1))) {
    client_end = next;
  }
  const std::size_t last = key.rfind('/');
  if (last <= client_end) return std::nullopt;
  return TripletKeyParts{std::string(key.substr(0, client_end)),
                         std::string(key.substr(client_end + 1, last - client_end - 1)),
                         std::string(key.substr(last + 1))};
}

RowFilter RowFilter::from_options(const PolicyEngine& engine, std::optional<std::string> client,
                                  std::optional<std::string> sender, std::optional<std::string> recipient) {
  RowFilter filter;
  if (client) {
    if (const auto address = IpAddress::parse(*client)) {
      filter.client = client_key(*address, engine.settings().keys);
    } else if (IpNetwork::parse(*client)) {
      filter.client = ascii_lower(*client);  // "198.51.100.7/32", as --lookup-by-host keys hold it
    } else {
      throw std::invalid_argument(fmt::format("--client {}: not an IP address or network", *client));
    }
  }
  if (sender) filter.sender = sender->starts_with('@') ? ascii_lower(*sender) : ascii_lower(normalize_sender(*sender));
  if (recipient) filter.recipient = ascii_lower(*recipient);
  return filter;
}

bool RowFilter::matches(const TripletRow& row) const {
  if (passed && row.record.passed != *passed) return false;
  if (first_seen_before && row.record.first_seen >= *first_seen_before) return false;
  if (!reads_keys()) return true;
  const auto parts = split_triplet_key(row.key);
  if (!parts) return false;
  return (!client || parts->client == *client) && part_matches(parts->sender, sender) &&
         part_matches(parts->recipient, recipient);
}

std::string triplet_table_header() {
  return fmt::format("{:<16}  {:<7}  {:<23}  {:<23}  {}", "ID", "STATE", "FIRST SEEN", "LAST SEEN", "KEY");
}

std::string triplet_table_line(const TripletRow& row) {
  return fmt::format("{:<16}  {:<7}  {:<23}  {:<23}  {}", row_id_hex(row.id), row.record.passed ? "passed" : "pending",
                     utc_text(row.record.first_seen), utc_text(row.record.last_seen), key_or_unknown(row.key));
}

std::string client_table_header() {
  return fmt::format("{:<16}  {:>5}  {:<11}  {:<23}  {}", "ID", "COUNT", "STATE", "LAST SEEN", "CLIENT");
}

std::string client_table_line(const ClientRow& row, std::int64_t awl_threshold) {
  const bool trusted = awl_threshold > 0 && row.record.count >= awl_threshold;
  return fmt::format("{:<16}  {:>5}  {:<11}  {:<23}  {}", row_id_hex(row.id), row.record.count,
                     trusted ? "whitelisted" : "counting", utc_text(row.record.last_seen), key_or_unknown(row.key));
}

std::string triplet_json(const TripletRow& row) {
  ordered_json object{{"type", "triplet"}, {"id", row_id_hex(row.id)}, {"key", nullptr}};
  if (!row.key.empty()) object["key"] = row.key;
  const auto parts = split_triplet_key(row.key);
  object["client"] = parts ? ordered_json(parts->client) : ordered_json(nullptr);
  object["sender"] = parts ? ordered_json(parts->sender) : ordered_json(nullptr);
  object["recipient"] = parts ? ordered_json(parts->recipient) : ordered_json(nullptr);
  object["state"] = row.record.passed ? "passed" : "pending";
  object["first_seen"] = row.record.first_seen;
  object["last_seen"] = row.record.last_seen;
  return json_text(object);
}

std::string client_json(const ClientRow& row, std::int64_t awl_threshold) {
  ordered_json object{{"type", "client"}, {"id", row_id_hex(row.id)}, {"key", nullptr}};
  if (!row.key.empty()) object["key"] = row.key;
  object["count"] = row.record.count;
  object["whitelisted"] = awl_threshold > 0 && row.record.count >= awl_threshold;
  object["last_seen"] = row.record.last_seen;
  return json_text(object);
}

std::string triplet_details(const TripletRow& row, const EngineSettings& settings, EpochSeconds now) {
  const TripletRecord& record = row.record;
  std::string text = fmt::format("triplet     {}\nkey         {}\n", row_id_hex(row.id), key_or_unknown(row.key));
  if (const auto parts = split_triplet_key(row.key)) {
    text += fmt::format("client      {}\nsender      {}\nrecipient   {}\n", parts->client,
                        parts->sender.empty() ? "<> (null sender)" : parts->sender, parts->recipient);
  }
  text += fmt::format("first seen  {}\nlast seen   {}\n", utc_text(record.first_seen), utc_text(record.last_seen));
  // What the engine would make of the row now (PolicyEngine::decide's rules).
  if (now - record.last_seen > settings.max_age) {
    text += fmt::format("state       expired: unused for more than {} days; the next request starts afresh\n",
                        settings.max_age / 86400);
  } else if (record.passed) {
    text += fmt::format("state       passed; kept until {} unless used again\n",
                        utc_text(record.last_seen + settings.max_age));
  } else if (now - record.first_seen > settings.retry_window) {
    text += "state       pending, but the retry window has closed: the next request starts afresh\n";
  } else if (now - record.first_seen < settings.delay) {
    text += fmt::format("state       pending: a retry passes from {} ({} s from now)\n",
                        utc_text(record.first_seen + settings.delay), settings.delay - (now - record.first_seen));
  } else {
    text += fmt::format("state       pending: the next retry passes (it may until {})\n",
                        utc_text(record.first_seen + settings.retry_window));
  }
  return text;
}

std::string client_details(const ClientRow& row, const EngineSettings& settings, EpochSeconds now) {
  std::string text = fmt::format("client      {}\nkey         {}\ncount       {}\nlast seen   {}\n", row_id_hex(row.id),
                                 key_or_unknown(row.key), row.record.count, utc_text(row.record.last_seen));
  if (settings.auto_whitelist_clients <= 0) {
    text += "state       the auto-whitelist is off (--auto-whitelist-clients=0)\n";
  } else if (now - row.record.last_seen > settings.max_age) {
    text += "state       expired\n";
  } else if (row.record.count >= settings.auto_whitelist_clients) {
    text += fmt::format("state       whitelisted ({} passes of {} needed)\n", row.record.count,
                        settings.auto_whitelist_clients);
  } else {
    text += fmt::format("state       counting: {} of {} passes\n", row.record.count, settings.auto_whitelist_clients);
  }
  return text;
}

}  // namespace grayling
