#pragma once
/// postgrey's duration spellings, parsed without surprises.

#include <cstdint>
#include <optional>
#include <string_view>

namespace grayling {

/// --retry-window: "N" days or "Nh" hours (h in either case), as postgrey. Returns seconds,
/// or nullopt when the text is neither.
[[nodiscard]] std::optional<std::int64_t> parse_retry_window(std::string_view text);

/// An administrator's span of time: "90" or "90s" seconds, "30m", "12h", "7d", "2w".
/// Returns seconds, or nullopt when the text is none of these (or absurdly large).
[[nodiscard]] std::optional<std::int64_t> parse_duration(std::string_view text);

/// A non-negative decimal integer, or nullopt.
[[nodiscard]] std::optional<std::int64_t> parse_count(std::string_view text);

}  // namespace grayling
