#pragma once
/// The project's delivery targets for issue 11, checked against a run's results.

#include <string>
#include <vector>

#include "outcome_summary.hpp"

namespace delivery {

/// One target and whether this run meets it.
struct TargetCheck {
  std::string target;
  bool holds = false;
  std::string detail;  // the figures it was judged on
};

/// Judges the targets; `results` holds one entry per configuration, in ConfigId order.
[[nodiscard]] std::vector<TargetCheck> check_targets(const std::vector<ConfigurationResult>& results);

}  // namespace delivery
