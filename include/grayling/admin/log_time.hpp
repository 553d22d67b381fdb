#pragma once
/// The timestamps that start mail log lines, read without a clock or a time zone database:
/// whoever reads the log says what "now" is and which zone unmarked stamps are in.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "grayling/core/records.hpp"

namespace grayling {

/// What a stamp means when it does not say: the reader's clock and zone.
struct LogClock {
  EpochSeconds now = 0;         // a syslog stamp's year is the latest one not after this
  std::int64_t utc_offset = 0;  // seconds east of UTC of stamps that name no zone
};

/// A stamp found at the start of a line: when, and how many characters it took.
struct LogStamp {
  EpochSeconds time = 0;
  std::size_t length = 0;
};

/// "2026-12-02T11:20:58.123456+00:00", "2026-12-02T11:20:58+0000", "...Z" (rsyslog,
/// journalctl -o short-iso) or "2026-12-02 11:20:58.123" (grayling's stderr). Fractions are
/// dropped; without a zone the stamp is in `clock.utc_offset`. It must end the text or be
/// followed by a space.
[[nodiscard]] std::optional<LogStamp> parse_iso_stamp(std::string_view text, const LogClock& clock);

/// "Dec  2 11:20:58" or "Dec 02 11:20:58" (syslog, journalctl's default), in
/// `clock.utc_offset`. It has no year: the latest year that puts it at most a day after
/// `clock.now`. The day of slack keeps a line stamped seconds ahead of the reader's clock,
/// or in a slightly wrong zone, from being taken for last year's.
[[nodiscard]] std::optional<LogStamp> parse_syslog_stamp(std::string_view text, const LogClock& clock);

}  // namespace grayling
