#pragma once
/// One line of a mail log, as grayling or postgrey wrote it: when, by whom, and the
/// decision it records. Everything else in a mail log is an "other" line.

#include <cstdint>
#include <optional>
#include <string_view>

#include "grayling/admin/log_time.hpp"

namespace grayling {

/// Which daemon wrote a line, when the line says (a syslog tag, or grayling's own stamp).
enum class LogSource { unknown, grayling, postgrey };

/// The parts of one log line; the views point into the line given to parse_log_line.
struct LogLine {
  enum class Kind {
    other,        // not a line this report reads (another program's, a warning, garbage)
    greylist,     // "action=greylist, reason=..."
    pass,         // "action=pass, reason=..."
    whitelisted,  // "whitelisted: name[address]": a client reached the auto-whitelist
  };

  Kind kind = Kind::other;
  LogSource source = LogSource::unknown;
  std::optional<EpochSeconds> time;  // nullopt when the line carries no stamp
  std::string_view queue_id;
  std::string_view reason;           // "new", "early-retry (12s missing)", "client AWL", ...
  std::optional<std::int64_t> delay; // "delay=N" of a triplet's first pass
  std::string_view client_name;
  std::string_view client_address;   // as logged: "192.0.2.1", "192.0.2.1/32", "2001:db8::1/128"
  std::string_view sender;           // empty for the null sender (the field is left out)
  std::string_view recipient;
  std::string_view whitelisted;      // "name[address]" of a whitelisted: line
};

/// Reads one line (without its newline) in any of the shapes the daemons' lines reach a
/// file in:
///   2026-12-02 11:20:58.123 info: MESSAGE                      grayling's stderr
///   Dec  2 11:20:58 host grayling[123]: MESSAGE                syslog, journalctl
///   2026-12-02T11:20:58.123456+00:00 host postgrey[123]: MESSAGE   rsyslog, short-iso
///   MESSAGE                                                    bare (journalctl -o cat)
/// where MESSAGE is "[QUEUEID: ]action=..., reason=..." or "whitelisted: ...". A syslog
/// line whose tag is another program's is `other`, whatever its text. Never throws.
[[nodiscard]] LogLine parse_log_line(std::string_view line, const LogClock& clock);

}  // namespace grayling
