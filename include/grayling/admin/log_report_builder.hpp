#pragma once
/// Builds a LogReport from log lines streamed one at a time: memory grows with the number
/// of distinct greylisted triplets (plus sender domains and clients), never with the
/// number of lines, so a gigabyte of mail.log is fine.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "grayling/admin/log_line.hpp"
#include "grayling/admin/log_report.hpp"
#include "grayling/core/string_hash.hpp"
#include "grayling/core/triplet_key.hpp"

namespace grayling {

/// What the caller knows and the log does not.
struct ReportOptions {
  LogClock clock;                      // now, and the zone of stamps that name none
  std::optional<EpochSeconds> since;   // stamped lines before this are skipped
  KeyRules keys;                       // how the daemon keyed clients (--lookup-by-*, --ipv*cidr)
  std::size_t top = 10;                // length of the sender domain and client lists
  std::vector<std::int64_t> shorter_delays{60, 120, 180, 240};
  std::int64_t too_recent = 3600;      // no verdict on triplets greylisted this close to the log's end
};

/// Feed every line, in the order the log has them, then finish().
class LogReportBuilder {
 public:
  explicit LogReportBuilder(ReportOptions options);

  void add_line(std::string_view line);
  [[nodiscard]] LogReport finish() const;

 private:
  /// One greylisting of one triplet, from its first greylist line on.
  struct Episode {
    std::optional<EpochSeconds> first;  // stamp of the first greylist line
    std::uint32_t domain = 0;           // index into domains_
    std::uint32_t client = 0;           // index into clients_
    bool retried = false;
    bool passed = false;
    std::optional<std::int64_t> pass_delay;   // delay= of the pass, else the stamps' difference
    std::optional<std::int64_t> pass_offset;  // the stamps' difference, else delay=
    std::vector<std::int64_t> first_attempt_after;  // per shorter delay: the earliest attempt at least that late, or -1
  };

  /// Names with the tally of their triplets; the index is what an Episode keeps.
  struct Groups {
    std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>> index;
    std::vector<DelayedGroup> tallies;
    std::uint32_t id(std::string_view name);
  };

  void count_source(const LogLine& line);
  void on_greylist(const LogLine& line, std::string key);
  void on_pass(const LogLine& line, const std::string& key);
  void start_episode(const LogLine& line, Episode& episode);
  /// Records a retry or pass; returns its seconds after the first greylisting, if known.
  std::optional<std::int64_t> attempt(Episode& episode, const LogLine& line, std::optional<std::int64_t> delay_field);
  /// Adds a finished (or, at the end, an open) episode's outcome to the totals.
  void fold(const Episode& episode, LogReport& report, std::vector<DelayedGroup>& domains,
            std::vector<DelayedGroup>& clients) const;

  ReportOptions options_;
  LogReport totals_;  // figures that are final as soon as a line is read
  std::unordered_map<std::string, Episode, StringHash, std::equal_to<>> episodes_;
  Groups domains_;
  Groups clients_;
};

}  // namespace grayling
