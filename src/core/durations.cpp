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

}  // namespace grayling
