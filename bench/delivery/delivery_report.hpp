#pragma once
/// The run's results as Markdown (for people) and JSON (for scripts).

#include <string>
#include <vector>

#include "outcome_summary.hpp"
#include "targets.hpp"
#include "trace.hpp"

namespace delivery {

/// What the run was, for the report's heading.
struct RunDescription {
  std::uint64_t seed = 0;
  std::size_t legitimate = 0;
  std::size_t spam = 0;
  Seconds simulated = 0;
  Seconds delay = 0;
  std::int64_t auto_whitelist_clients = 0;
  double wall_seconds = 0;
};

[[nodiscard]] std::string markdown_report(const RunDescription& run, const std::vector<ConfigurationResult>& results,
                                          const std::vector<TargetCheck>& targets);
[[nodiscard]] std::string json_report(const RunDescription& run, const std::vector<ConfigurationResult>& results,
                                      const std::vector<TargetCheck>& targets);

}  // namespace delivery
