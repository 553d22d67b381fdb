/// Formatting of results (report.hpp). Latencies are printed in microseconds.

#include "report.hpp"

#include <algorithm>
#include <cstdio>

namespace bench {

namespace {

double micros(std::int64_t nanoseconds) { return static_cast<double>(nanoseconds) / 1000.0; }

double rate(const Summary& summary) {
  return summary.window_seconds > 0 ? static_cast<double>(summary.stats.latency.count()) / summary.window_seconds : 0;
}

double percent(double cpu, double window) { return window > 0 && cpu >= 0 ? 100.0 * cpu / window : -1; }

}  // namespace

void print_report(const Summary& summary) {
  const auto& stats = summary.stats;
  const auto& latency = stats.latency;
  const auto& options = summary.options;
  std::printf("target %s%s%s, workload %s, %u connections, %u client threads\n", options.connect.c_str(),
              options.label.empty() ? "" : " ", options.label.c_str(), workload_name(options.workload),
              options.connections, options.threads);
  if (options.rate > 0) {
    std::printf("open loop   %g requests/s due at fixed intervals; latency counted from when each was due\n",
                options.rate);
  }
  if (!summary.setup.empty()) std::printf("setup       %s\n", summary.setup.c_str());
  std::printf("requests    %llu in %.2f s: %.0f requests/s", static_cast<unsigned long long>(latency.count()),
              summary.window_seconds, rate(summary));
  if (options.rate > 0) std::printf(" (%.2f%% of the target)", 100.0 * rate(summary) / options.rate);
  std::printf("\n");
  std::printf("latency us  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  mean %.1f\n",
              micros(latency.percentile(0.50)), micros(latency.percentile(0.90)), micros(latency.percentile(0.99)),
              micros(latency.percentile(0.999)), micros(latency.max()), latency.mean() / 1000.0);
  if (options.rate > 0) {
    const auto& lag = stats.send_lag;
    std::printf("send lag us p50 %.1f  p99 %.1f  max %.1f  (due to sent on a free connection: our own delay)\n",
                micros(lag.percentile(0.50)), micros(lag.percentile(0.99)), micros(lag.max()));
  }
  std::printf("actions     DEFER_IF_PERMIT %llu  DUNNO %llu  PREPEND %llu  other %llu\n",
              static_cast<unsigned long long>(stats.actions[0]), static_cast<unsigned long long>(stats.actions[1]),
              static_cast<unsigned long long>(stats.actions[2]), static_cast<unsigned long long>(stats.actions[3]));
  std::printf("errors      connect %llu  closed %llu  timeouts %llu  bad replies %llu\n",
              static_cast<unsigned long long>(stats.connect_failures), static_cast<unsigned long long>(stats.closed),
              static_cast<unsigned long long>(stats.timeouts), static_cast<unsigned long long>(stats.bad_replies));
  std::printf("cpu         client %.0f%%", percent(summary.client_cpu, summary.window_seconds));
  if (summary.server_cpu >= 0) std::printf("  server %.0f%%", percent(summary.server_cpu, summary.window_seconds));
  std::printf(" (100%% = one core)\n");
}

void print_intervals(const Summary& summary) {
  const double seconds = summary.options.interval;
  for (std::size_t i = 0; i < summary.stats.intervals.size(); ++i) {
    const auto& slot = summary.stats.intervals[i];
    const double start = static_cast<double>(i) * seconds;
    const double length = std::min(seconds, summary.window_seconds - start);  // the last may be short
    if (length <= 0) break;
    std::printf("interval %6.1f s  rps %8.0f  p50 %8.1f  p99 %9.1f  max %9.1f us\n", start,
                static_cast<double>(slot.count()) / length, micros(slot.percentile(0.5)),
                micros(slot.percentile(0.99)), micros(slot.max()));
  }
}

void print_json(const Summary& summary) {
  const auto& stats = summary.stats;
  const auto& latency = stats.latency;
  const auto& options = summary.options;
  std::printf(
      "{\"workload\":\"%s\",\"label\":\"%s\",\"connections\":%u,\"threads\":%u,\"seconds\":%.3f,"
      "\"requests\":%llu,\"rps\":%.1f,\"target_rps\":%.1f,\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,"
      "\"p999_us\":%.1f,"
      "\"max_us\":%.1f,\"mean_us\":%.1f,\"defer_if_permit\":%llu,\"dunno\":%llu,\"prepend\":%llu,\"other\":%llu,"
      "\"connect_failures\":%llu,\"closed\":%llu,\"timeouts\":%llu,\"bad_replies\":%llu,\"errors\":%llu,"
      "\"client_cpu_pct\":%.1f,\"server_cpu_pct\":%.1f,\"send_lag_p99_us\":%.1f,\"send_lag_max_us\":%.1f}\n",
      workload_name(options.workload), options.label.c_str(), options.connections, options.threads,
      summary.window_seconds, static_cast<unsigned long long>(latency.count()), rate(summary), options.rate,
      micros(latency.percentile(0.50)), micros(latency.percentile(0.90)), micros(latency.percentile(0.99)),
      micros(latency.percentile(0.999)), micros(latency.max()), latency.mean() / 1000.0,
      static_cast<unsigned long long>(stats.actions[0]), static_cast<unsigned long long>(stats.actions[1]),
      static_cast<unsigned long long>(stats.actions[2]), static_cast<unsigned long long>(stats.actions[3]),
      static_cast<unsigned long long>(stats.connect_failures), static_cast<unsigned long long>(stats.closed),
      static_cast<unsigned long long>(stats.timeouts), static_cast<unsigned long long>(stats.bad_replies),
      static_cast<unsigned long long>(stats.errors()), percent(summary.client_cpu, summary.window_seconds),
      percent(summary.server_cpu, summary.window_seconds), micros(stats.send_lag.percentile(0.99)),
      micros(stats.send_lag.max()));
}

}  // namespace bench
