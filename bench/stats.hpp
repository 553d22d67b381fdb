#pragma once
/// What one client thread counts during a phase; merged across threads for the report.

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "histogram.hpp"

namespace bench {

/// The reply's action word, as the report counts it.
enum class Action : std::uint8_t { defer_if_permit, dunno, prepend, other };
inline constexpr std::size_t kActionCount = 4;

/// Classifies "action=WORD ..." (the reply without its terminating empty line).
Action classify_reply(std::string_view reply);

struct Stats {
  Histogram latency;                          // one sample per reply in the window
  Histogram send_lag;                         // open loop: due-to-sent delay of requests sent
                                              // in the window whose connection was free (the
                                              // generator's own lateness, e.g. descheduled)
  std::array<std::uint64_t, kActionCount> actions{};
  std::uint64_t connect_failures = 0;         // connect() refused or failed
  std::uint64_t closed = 0;                   // the server closed (or reset) a connection
  std::uint64_t timeouts = 0;                 // no reply within --timeout
  std::uint64_t bad_replies = 0;              // not "action=...\n\n", or unasked-for bytes
  std::vector<Histogram> intervals;           // with --interval: one per interval

  [[nodiscard]] std::uint64_t errors() const { return connect_failures + closed + timeouts + bad_replies; }
  void merge(const Stats& other);
};

}  // namespace bench
