#pragma once
// How a log line looks on stderr: postgrey's text line (the default, byte for byte), or
// one JSON object per line (--log-format=json); with the syslog priority in front ("<6>",
// "<4>", ...) when stderr is the journal's (JOURNAL_STREAM), so `journalctl -p warning`
// works.

#include <memory>

#include <spdlog/formatter.h>

namespace grayling {

/// A message that begins with this byte is already JSON members ("action":"pass",...):
/// the decision line in JSON form, laid into the object as it is.
inline constexpr char kJsonFieldsMarker = '\x1e';

struct LogFormat {
  bool json = false;
  bool priority_prefix = false;  // "<N>" before each line, for the journal
  bool timestamp = true;         // off for syslog, which stamps lines itself
};

[[nodiscard]] std::unique_ptr<spdlog::formatter> make_log_formatter(LogFormat format);

/// Whether stderr is a stream to the journal: JOURNAL_STREAM names its device and inode.
[[nodiscard]] bool stderr_is_journal();

}  // namespace grayling
