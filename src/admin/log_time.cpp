#include "grayling/admin/log_time.hpp"

#include <array>
#include <chrono>

namespace grayling {

namespace {

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kYearSlack = kDay;

/// Reads fixed-width fields left to right; any mismatch fails the whole stamp.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  bool digits(std::size_t count, int& value) {
    if (pos_ + count > text_.size()) return false;
    value = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const char c = text_[pos_ + i];
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    pos_ += count;
    return true;
  }
  bool literal(char expected) {
    if (pos_ >= text_.size() || text_[pos_] != expected) return false;
    ++pos_;
    return true;
  }
  bool one_of(std::string_view expected, char& found) {
    if (pos_ >= text_.size() || expected.find(text_[pos_]) == std::string_view::npos) return false;
    found = text_[pos_++];
    return true;
  }
  void skip_digits() {
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
  }
  [[nodiscard]] bool at_word_end() const { return pos_ == text_.size() || text_[pos_] == ' '; }
  [[nodiscard]] std::size_t position() const { return pos_; }
  void advance(std::size_t count) { pos_ += count; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

/// Seconds since the epoch of a wall-clock time read as UTC; nullopt for impossible dates.
std::optional<EpochSeconds> civil_seconds(int year, int month, int day, int hour, int minute, int second) {
  using namespace std::chrono;
  const year_month_day date{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                            std::chrono::day{static_cast<unsigned>(day)}};
  // 60 is a leap second; it lands on the next minute's first second.
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  return sys_days{date}.time_since_epoch().count() * kDay + hour * 3600 + minute * 60 + second;
}

int year_of(EpochSeconds time) {
  using namespace std::chrono;
  const year_month_day date{floor<days>(sys_seconds{seconds{time}})};
  return static_cast<int>(date.year());
}

int month_number(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (kMonths[i] == name) return static_cast<int>(i) + 1;
  }
  return 0;
}

/// "Z", "+01:00", "+0100", "-05": seconds east of UTC.
std::optional<std::int64_t> zone_offset(Reader& reader) {
  if (reader.literal('Z')) return 0;
  char sign = 0;
  if (!reader.one_of("+-", sign)) return std::nullopt;
  int hours = 0;
  int minutes = 0;
  if (!reader.digits(2, hours)) return std::nullopt;
  const bool colon = reader.literal(':');
  if (!reader.digits(2, minutes) && colon) return std::nullopt;
  const std::int64_t offset = hours * 3600 + minutes * 60;
  return sign == '-' ? -offset : offset;
}

}  // namespace

std::optional<LogStamp> parse_iso_stamp(std::string_view text, const LogClock& clock) {
  Reader reader(text);
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  char separator = 0;
  if (!(reader.digits(4, year) && reader.literal('-') && reader.digits(2, month) && reader.literal('-') &&
        reader.digits(2, day) && reader.one_of("T ", separator) && reader.digits(2, hour) && reader.literal(':') &&
        reader.digits(2, minute) && reader.literal(':') && reader.digits(2, second))) {
    return std::nullopt;
  }
  if (reader.literal('.') || reader.literal(',')) reader.skip_digits();
  std::int64_t offset = clock.utc_offset;
  if (!reader.at_word_end()) {
    const auto zone = zone_offset(reader);
    if (!zone || !reader.at_word_end()) return std::nullopt;
    offset = *zone;
  }
  const auto local = civil_seconds(year, month, day, hour, minute, second);
  if (!local) return std::nullopt;
  return LogStamp{*local - offset, reader.position()};
}

std::optional<LogStamp> parse_syslog_stamp(std::string_view text, const LogClock& clock) {
  if (text.size() < 3) return std::nullopt;
  const int month = month_number(text.substr(0, 3));
  if (month == 0) return std::nullopt;
  Reader reader(text);
  reader.advance(3);
  if (!reader.literal(' ')) return std::nullopt;
  reader.literal(' ');  // "Dec  2": syslog pads the day with a space
  int day = 0;
  if (!reader.digits(2, day) && !reader.digits(1, day)) return std::nullopt;
  int hour = 0, minute = 0, second = 0;
  if (!(reader.literal(' ') && reader.digits(2, hour) && reader.literal(':') && reader.digits(2, minute) &&
        reader.literal(':') && reader.digits(2, second) && reader.at_word_end())) {
    return std::nullopt;
  }
  // The latest year in which the stamp is not in the future; a few years back reaches a
  // Feb 29 from any date.
  const EpochSeconds latest = clock.now + kYearSlack;
  for (int year = year_of(latest + clock.utc_offset); year > year_of(latest) - 9; --year) {
    const auto local = civil_seconds(year, month, day, hour, minute, second);
    if (local && *local - clock.utc_offset <= latest) return LogStamp{*local - clock.utc_offset, reader.position()};
  }
  return std::nullopt;
}

}  // namespace grayling
