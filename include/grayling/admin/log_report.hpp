#pragma once
/// grayling-admin report: what greylisting did to the mail in a log (grayling's or
/// postgrey's), as text for a person or JSON for a script. LogReportBuilder computes it.
///
/// The unit is the greylisted triplet: a (client network, normalised sender, recipient)
/// key, built from the logged fields as the daemon builds it, whose "action=greylist,
/// reason=new" line is in the window. Each one ends as exactly one of: passed (a later pass
/// line), retried but never passed (only early retries), never retried (nothing more: the
/// likely spam), or too recent to tell (never retried, but greylisted so close to the end
/// of the log that a real sender may still come back). A triplet greylisted anew after it
/// passed (its row expired) counts again.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "grayling/admin/seconds_distribution.hpp"
#include "grayling/core/records.hpp"

namespace grayling {

/// Decision lines of one daemon, so postgrey's period and grayling's can be told apart.
struct SourceTally {
  std::uint64_t greylist_lines = 0;
  std::uint64_t pass_lines = 0;
  std::optional<EpochSeconds> first;  // earliest and latest stamped decision line
  std::optional<EpochSeconds> last;
};

/// One sender domain or client and what became of its greylisted triplets.
struct DelayedGroup {
  std::string name;
  std::uint64_t triplets = 0;
  std::uint64_t passed = 0;
  std::uint64_t never_retried = 0;  // too-recent triplets are in neither
};

/// "What if the delay had been `delay` seconds": the greylisted triplets with a stamped
/// first greylisting that had some attempt (early retry or pass) at least `delay` seconds
/// after it. Such a triplet would have passed at that attempt.
struct ShorterDelay {
  std::int64_t delay = 0;
  std::uint64_t would_pass = 0;
  std::uint64_t never_passed = 0;  // of would_pass: retried, but gave up before passing
  SecondsDistribution sooner;      // of those that did pass: how much earlier they would have
};

/// Everything `report` prints.
struct LogReport {
  // What was read.
  std::uint64_t lines = 0;
  std::uint64_t before_since = 0;  // stamped before --since: skipped
  std::uint64_t other_lines = 0;   // not a decision or whitelisted: line
  std::uint64_t undated_lines = 0; // decision lines without a stamp: always included
  SourceTally grayling, postgrey, untagged;
  std::optional<EpochSeconds> first;  // the stamped decision lines read span [first, last]
  std::optional<EpochSeconds> last;

  // Greylisting.
  std::uint64_t greylist_lines = 0;     // every action=greylist line
  std::uint64_t early_retry_lines = 0;
  std::uint64_t greylist_other_lines = 0;     // neither new nor early-retry (store unavailable)
  std::uint64_t lines_without_triplet = 0;    // decision lines missing client_address or recipient
  std::uint64_t triplets = 0;
  std::uint64_t passed = 0;
  std::uint64_t retried_never_passed = 0;
  std::uint64_t never_retried = 0;
  std::uint64_t too_recent = 0;
  std::int64_t too_recent_seconds = 0;  // the margin too_recent was judged with
  SecondsDistribution pass_delays;      // of `passed`: delay= of the pass, else the stamps' difference
  std::uint64_t pass_delay_unknown = 0; // passed, but neither delay= nor two stamps
  std::uint64_t retries_greylisted_earlier = 0;  // early retries of triplets not greylisted in the window
  std::uint64_t passes_greylisted_earlier = 0;   // first passes (delay=) of such triplets

  // Passing.
  std::uint64_t pass_lines = 0;
  std::map<std::string, std::uint64_t> passes_by_reason;  // "triplet found", "client AWL", ...
  std::uint64_t clients_whitelisted = 0;                  // whitelisted: lines

  std::uint64_t timed_triplets = 0;  // triplets whose first greylisting is stamped
  std::vector<ShorterDelay> shorter_delays;
  std::vector<DelayedGroup> top_sender_domains;  // most triplets first, at most the top N
  std::vector<DelayedGroup> top_clients;         // client_name, or the address when unknown
};

/// The report as aligned lines with a short explanation of each figure.
[[nodiscard]] std::string report_text(const LogReport& report);
/// The report as one JSON object (one line); times are epoch seconds, durations seconds.
[[nodiscard]] std::string report_json(const LogReport& report);

}  // namespace grayling
