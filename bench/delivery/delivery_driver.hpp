#pragma once
/// The benchmark's story: make the trace, replay it under every configuration, report.

#include "delivery_options.hpp"

namespace delivery {

/// Runs the benchmark; returns the exit status. Throws on a setup error (an unreadable
/// whitelist).
int run_delivery_benchmark(const DeliveryOptions& options);

}  // namespace delivery
