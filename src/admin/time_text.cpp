#include "grayling/admin/time_text.hpp"

#include <ctime>
#include <cstdio>

#include "grayling/core/durations.hpp"

namespace grayling {

std::string utc_text(EpochSeconds when) {
  const std::time_t time = when;
  std::tm tm{};
  gmtime_r(&time, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
}

std::optional<EpochSeconds> parse_when(std::string_view text, EpochSeconds now) {
  if (text.empty()) return std::nullopt;
  if (text.front() == '+' || text.front() == '-') {
    const auto offset = parse_duration(text.substr(1));
    if (!offset) return std::nullopt;
    return text.front() == '+' ? now + *offset : now - *offset;
  }
  if (text.front() == '@') text.remove_prefix(1);
  if (const auto seconds = parse_count(text)) return *seconds;
  // YYYY-MM-DD[ T]HH:MM[:SS][Z], always UTC: what this tool prints.
  std::string date(text);
  if (!date.empty() && date.back() == 'Z') date.pop_back();
  std::tm tm{};
  int consumed = 0;
  char separator = 0;
  const int fields = std::sscanf(date.c_str(), "%4d-%2d-%2d%c%2d:%2d%n:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                                 &separator, &tm.tm_hour, &tm.tm_min, &consumed, &tm.tm_sec, &consumed);
  if (fields < 6 || (separator != ' ' && separator != 'T') || static_cast<std::size_t>(consumed) != date.size()) {
    return std::nullopt;
  }
  if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<EpochSeconds>(timegm(&tm));
}

}  // namespace grayling
