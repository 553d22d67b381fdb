#include "grayling/dns/rdata.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdint>

namespace grayling::dns {

namespace {

/// A name in uncompressed wire format ("\3www\7example\3org\0") at `at`, as text without
/// the final dot. Labels are taken as they are (SPF compares them case-insensitively).
std::optional<std::string> wire_name(std::string_view data, std::size_t at) {
  std::string name;
  for (int labels = 0; at < data.size() && labels < 128; ++labels) {
    const auto length = static_cast<std::uint8_t>(data[at++]);
    if (length == 0) return name;
    if (length > 63 || at + length > data.size()) return std::nullopt;  // a pointer, or cut short
    if (!name.empty()) name.push_back('.');
    name.append(data.substr(at, length));
    at += length;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> rdata_text(RecordType type, std::string_view rdata) {
  switch (type) {
    case RecordType::a: {
      if (rdata.size() != 4) return std::nullopt;
      const auto* b = reinterpret_cast<const std::uint8_t*>(rdata.data());
      return fmt::format("{}.{}.{}.{}", b[0], b[1], b[2], b[3]);
    }
    case RecordType::aaaa: {
      if (rdata.size() != 16) return std::nullopt;
      const auto* b = reinterpret_cast<const std::uint8_t*>(rdata.data());
      std::string text;
      for (int group = 0; group < 8; ++group) {
        if (group) text.push_back(':');
        text += fmt::format("{:x}", b[2 * group] << 8 | b[2 * group + 1]);
      }
      return text;
    }
    case RecordType::txt: {
      // character-strings, each a length byte and that many bytes; SPF joins them.
      std::string text;
      std::size_t at = 0;
      while (at < rdata.size()) {
        const auto length = static_cast<std::uint8_t>(rdata[at++]);
        if (at + length > rdata.size()) return std::nullopt;
        text.append(rdata.substr(at, length));
        at += length;
      }
      return text;
    }
    case RecordType::mx:
      if (rdata.size() < 3) return std::nullopt;
      return wire_name(rdata, 2);  // after the 16-bit preference
    case RecordType::ptr:
      return wire_name(rdata, 0);
  }
  return std::nullopt;
}

}  // namespace grayling::dns
