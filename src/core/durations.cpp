#include "grayling/core/durations.hpp"

#include <charconv>

namespace grayling {

std::optional<std::int64_t> parse_count(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

std::optional<std::int64_t> parse_retry_window(std::string_view text) {
  std::int64_t unit = 86400;
  if (!text.empty() && (text.back() == 'h' || text.back() == 'H')) {
    unit = 3600;
    text.remove_suffix(1);
  }
  const auto count = parse_count(text);
  if (!count || *count > 1'000'000) return std::nullopt;
  return *count * unit;
}

std::optional<std::int64_t> parse_duration(std::string_view text) {
  std::int64_t unit = 1;
  if (!text.empty()) {
    switch (text.back()) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      case 'w': unit = 7 * 86400; break;
      default: unit = 0;
    }
    if (unit != 0) text.remove_suffix(1);
  }
  const auto count = parse_count(text);
  if (!count || *count > 100'000'000) return std::nullopt;
  return *count * (unit == 0 ? 1 : unit);
}

}  // namespace grayling
