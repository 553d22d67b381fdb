#include "grayling/admin/row_dump.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "grayling/core/version.hpp"
#include "grayling/store/row_ids.hpp"

namespace grayling {

namespace {

using nlohmann::json;

json parse_object(std::string_view line) {
  json value = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) throw DumpError("not a JSON line");
  if (!value.is_object()) throw DumpError("not a JSON object");
  return value;
}

std::int64_t integer_field(const json& object, const char* name) {
  const auto found = object.find(name);
  if (found == object.end()) throw DumpError(fmt::format("no \"{}\"", name));
  // Whole numbers only: 1.5 or 1e3 seconds is not something grayling ever wrote.
  if (!found->is_number_integer()) throw DumpError(fmt::format("\"{}\" is not a whole number", name));
  if (found->is_number_unsigned() && found->get<std::uint64_t>() > std::uint64_t{INT64_MAX}) {
    throw DumpError(fmt::format("\"{}\" is out of range", name));
  }
  return found->get<std::int64_t>();
}

bool boolean_field(const json& object, const char* name) {
  const auto found = object.find(name);
  if (found == object.end()) throw DumpError(fmt::format("no \"{}\"", name));
  if (!found->is_boolean()) throw DumpError(fmt::format("\"{}\" is not true or false", name));
  return found->get<bool>();
}

std::int64_t id_field(const json& object, const char* name) {
  const auto& value = object.at(name);
  if (!value.is_string()) throw DumpError(fmt::format("\"{}\" is not a string of 16 hex digits", name));
  const auto id = parse_row_id(value.get_ref<const std::string&>());
  if (!id) throw DumpError(fmt::format("\"{}\" is not 16 hex digits", name));
  return *id;
}

/// Every field of the object is one of `allowed`: a misspelt field must not be ignored.
void only_fields(const json& object, std::initializer_list<std::string_view> allowed) {
  for (const auto& [name, value] : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      throw DumpError(fmt::format("unknown field \"{}\"", name));
    }
  }
}

/// `,"key":...` for a row's line: empty for a row without a key.
std::string key_field(const std::string& key) {
  if (key.empty()) return {};
  try {
    return ",\"key\":" + json(key).dump();
  } catch (const json::type_error&) {  // not valid UTF-8: JSON cannot hold it as a string
    std::string hex;
    for (const char c : key) hex += fmt::format("{:02x}", static_cast<unsigned char>(c));
    return ",\"key_hex\":\"" + hex + "\"";
  }
}

/// The row's key from "key" or "key_hex", checked against its id; empty if neither.
std::string key_of(const json& object, std::int64_t id) {
  std::string key;
  if (const auto found = object.find("key"); found != object.end()) {
    if (!found->is_string() || found->get_ref<const std::string&>().empty()) {
      throw DumpError("\"key\" is not a non-empty string");
    }
    key = found->get<std::string>();
  } else if (const auto hex = object.find("key_hex"); hex != object.end()) {
    const std::string* text = hex->is_string() ? &hex->get_ref<const std::string&>() : nullptr;
    if (!text || text->empty() || text->size() % 2 != 0 ||
        text->find_first_not_of("0123456789abcdef") != std::string::npos) {
      throw DumpError("\"key_hex\" is not lowercase hex");
    }
    for (std::size_t i = 0; i < text->size(); i += 2) key += static_cast<char>(std::stoi(text->substr(i, 2), nullptr, 16));
  } else {
    return key;
  }
  if (store_key_digest(key) != id) throw DumpError("the key does not belong to the row's id (its digest differs)");
  return key;
}

}  // namespace

std::string row_id_hex(std::int64_t id) { return fmt::format("{:016x}", static_cast<std::uint64_t>(id)); }

std::optional<std::int64_t> parse_row_id(std::string_view hex) {
  if (hex.size() != 16) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : hex) {
    const bool digit = c >= '0' && c <= '9';
    const bool lower = c >= 'a' && c <= 'f';
    if (!digit && !lower) return std::nullopt;
    value = value << 4 | static_cast<std::uint64_t>(digit ? c - '0' : c - 'a' + 10);
  }
  return static_cast<std::int64_t>(value);
}

std::string dump_header(EpochSeconds written) {
  return fmt::format(R"({{"grayling_dump":{},"version":"{}","written":{}}})", kDumpFormat, kVersion, written);
}

void check_dump_header(std::string_view line) {
  json header;
  try {
    header = parse_object(line);
  } catch (const DumpError&) {
    throw DumpError("not a grayling dump (the first line is not its header)");
  }
  const auto format = header.find("grayling_dump");
  if (format == header.end()) throw DumpError("not a grayling dump (the first line is not its header)");
  if (!format->is_number_integer()) throw DumpError("the header's \"grayling_dump\" is not a whole number");
  if (format->get<std::int64_t>() > kDumpFormat) {
    throw DumpError(fmt::format("dump format {} is newer than this grayling reads ({})", format->dump(), kDumpFormat));
  }
}

std::string dump_line(const TripletRow& row) {
  return fmt::format(R"({{"triplet":"{}","first_seen":{},"last_seen":{},"passed":{}{}}})", row_id_hex(row.id),
                     row.record.first_seen, row.record.last_seen, row.record.passed, key_field(row.key));
}

std::string dump_line(const ClientRow& row) {
  return fmt::format(R"({{"client":"{}","count":{},"last_seen":{}{}}})", row_id_hex(row.id), row.record.count,
                     row.record.last_seen, key_field(row.key));
}

DumpRow parse_dump_line(std::string_view line) {
  const json object = parse_object(line);
  if (object.contains("triplet")) {
    only_fields(object, {"triplet", "first_seen", "last_seen", "passed", "key", "key_hex"});
    TripletRow row{id_field(object, "triplet"),
                   {integer_field(object, "first_seen"), integer_field(object, "last_seen"),
                    boolean_field(object, "passed")}};
    row.key = key_of(object, row.id);
    if (row.record.last_seen < row.record.first_seen) throw DumpError("\"last_seen\" is before \"first_seen\"");
    return row;
  }
  if (object.contains("client")) {
    only_fields(object, {"client", "count", "last_seen", "key", "key_hex"});
    ClientRow row{id_field(object, "client"), {integer_field(object, "count"), integer_field(object, "last_seen")}};
    row.key = key_of(object, row.id);
    if (row.record.count < 0) throw DumpError("\"count\" is negative");
    return row;
  }
  throw DumpError("neither a \"triplet\" nor a \"client\" row");
}

}  // namespace grayling
