#pragma once
/// grayling-bench's output: a readable block on stderr-or-stdout, and one JSON line.

#include <string>

#include "bench_options.hpp"
#include "stats.hpp"

namespace bench {

struct Summary {
  const Options& options;
  const Stats& stats;
  double window_seconds = 0;   // the measured window
  double client_cpu = 0;       // CPU seconds this process used in the window
  double server_cpu = -1;      // CPU seconds of --server-pid in the window; <0 unknown
  std::string setup;           // what the known-set setup did, if anything
};

/// The human-readable block (requests/s, latency percentiles, actions, errors).
void print_report(const Summary& summary);

/// Per-interval lines, when --interval was given.
void print_intervals(const Summary& summary);

/// The single-line JSON summary.
void print_json(const Summary& summary);

}  // namespace bench
