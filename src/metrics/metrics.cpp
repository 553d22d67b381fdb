#include "grayling/metrics/metrics.hpp"

#include <dirent.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace grayling::metrics {

namespace {

// Seconds: from a cached answer (well under a millisecond) to a store at its timeout.
constexpr double kLatencyBounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
// Seconds a sender took to come back: postgrey's 5 minutes to a day.
constexpr double kDelayBounds[] = {60, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400};
constexpr double kBatchBounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096};

void help(std::string& out, std::string_view name, std::string_view type, std::string_view text) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, text, name, type);
}

/// Prometheus text for a number: integers as integers.
std::string number(double value) { return fmt::format("{}", value); }

void histogram(std::string& out, std::string_view name, std::string_view text, const Histogram& a,
               const Histogram& b) {
  help(out, name, "histogram", text);
  std::uint64_t cumulative = 0;
  const auto bounds = a.bounds();
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    cumulative += a.bucket(i) + b.bucket(i);
    out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, number(bounds[i]), cumulative);
  }
  cumulative += a.bucket(bounds.size()) + b.bucket(bounds.size());
  out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n", name, cumulative);
  out += fmt::format("{}_sum {}\n{}_count {}\n", name, number(a.sum() + b.sum()), name, a.count() + b.count());
}

void counter(std::string& out, std::string_view name, std::string_view text, std::uint64_t value) {
  help(out, name, "counter", text);
  out += fmt::format("{} {}\n", name, value);
}

void gauge(std::string& out, std::string_view name, std::string_view text, std::int64_t value) {
  help(out, name, "gauge", text);
  out += fmt::format("{} {}\n", name, value);
}

/// Resident memory from /proc/self/statm (pages).
std::uint64_t resident_bytes() {
  std::FILE* file = std::fopen("/proc/self/statm", "re");
  if (!file) return 0;
  unsigned long size = 0, resident = 0;
  const int read = std::fscanf(file, "%lu %lu", &size, &resident);
  std::fclose(file);
  return read == 2 ? resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)) : 0;
}

std::uint64_t open_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return 0;
  std::uint64_t count = 0;
  while (const dirent* entry = ::readdir(dir)) count += entry->d_name[0] != '.';
  ::closedir(dir);
  return count > 0 ? count - 1 : 0;  // not the directory's own descriptor
}

double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace

Histogram::Histogram(std::span<const double> bounds) : size_(std::min(bounds.size(), kMaxBuckets)) {
  std::copy_n(bounds.begin(), size_, bounds_.begin());
}

void Histogram::observe(double value) {
  const auto end = bounds_.begin() + static_cast<std::ptrdiff_t>(size_);
  counts_[static_cast<std::size_t>(std::lower_bound(bounds_.begin(), end, value) - bounds_.begin())].add();
  count_.add();
  if (value > 0) sum_micro_.add(static_cast<std::uint64_t>(value * 1e6 + 0.5));
}

std::string_view label(Action action) {
  constexpr std::string_view kLabels[] = {"greylist", "pass", "skip"};
  return kLabels[static_cast<std::size_t>(action)];
}

std::string_view label(Reason reason) {
  constexpr std::string_view kLabels[] = {"new",         "early-retry", "triplet found", "client whitelist",
                                          "recipient whitelist", "client AWL", "skipped", "store error"};
  return kLabels[static_cast<std::size_t>(reason)];
}

Shard::Shard()
    : request_duration(kLatencyBounds),
      greylist_delay(kDelayBounds),
      batch_requests(kBatchBounds),
      commit_duration(kLatencyBounds) {}

std::string Metrics::render() const {
  std::string out;
  help(out, "grayling_build_info", "gauge", "grayling's version, as a label");
  out += fmt::format("grayling_build_info{{version=\"{}\"}} 1\n", version);

  help(out, "grayling_decisions_total", "counter", "Requests decided, by action and reason");
  for (std::size_t a = 0; a < static_cast<std::size_t>(Action::count_); ++a) {
    for (std::size_t r = 0; r < static_cast<std::size_t>(Reason::count_); ++r) {
      const std::uint64_t value = io.decisions[a][r].value() + store.decisions[a][r].value();
      out += fmt::format("grayling_decisions_total{{action=\"{}\",reason=\"{}\"}} {}\n", label(static_cast<Action>(a)),
                         label(static_cast<Reason>(r)), value);
    }
  }
  histogram(out, "grayling_greylist_delay_seconds", "Time from a triplet's first greylisting to its pass",
            io.greylist_delay, store.greylist_delay);
  histogram(out, "grayling_request_duration_seconds", "From a complete request to its reply written",
            io.request_duration, store.request_duration);
  histogram(out, "grayling_store_batch_requests", "Requests decided per store transaction", io.batch_requests,
            store.batch_requests);
  histogram(out, "grayling_store_commit_duration_seconds", "Time a store transaction took to commit",
            io.commit_duration, store.commit_duration);
  help(out, "grayling_store_errors_total", "counter", "Store failures: batches that failed, requests answered by timeout or while their connection's last request was still with a stalled store");
  out += fmt::format("grayling_store_errors_total{{kind=\"error\"}} {}\n", io.store_errors.value() + store.store_errors.value());
  out += fmt::format("grayling_store_errors_total{{kind=\"timeout\"}} {}\n",
                     io.store_timeouts.value() + store.store_timeouts.value());
  out += fmt::format("grayling_store_errors_total{{kind=\"busy\"}} {}\n",
                     io.store_busy.value() + store.store_busy.value());
  help(out, "grayling_store_rows", "gauge", "Rows in the store, by table (kept running, not counted per scrape)");
  out += fmt::format("grayling_store_rows{{table=\"triplets\"}} {}\n", triplet_rows.value());
  out += fmt::format("grayling_store_rows{{table=\"clients\"}} {}\n", client_rows.value());
  counter(out, "grayling_expiry_runs_total", "Expiry steps run", io.expiry_runs.value() + store.expiry_runs.value());
  counter(out, "grayling_expiry_rows_total", "Rows expired", io.expiry_rows.value() + store.expiry_rows.value());
  help(out, "grayling_expiry_duration_seconds_total", "counter", "Time spent expiring rows");
  out += fmt::format("grayling_expiry_duration_seconds_total {}\n",
                     number(static_cast<double>(io.expiry_micros.value() + store.expiry_micros.value()) / 1e6));
  gauge(out, "grayling_store_queue_requests", "Requests waiting for the store thread", store_queue.value());
  gauge(out, "grayling_connections_open", "Policy connections open", connections_open.value());
  counter(out, "grayling_connections_accepted_total", "Policy connections accepted",
          io.connections_accepted.value() + store.connections_accepted.value());
  help(out, "grayling_connections_refused_total", "counter", "Policy connections refused, by reason");
  out += fmt::format("grayling_connections_refused_total{{reason=\"allow_from\"}} {}\n",
                     io.refused_allow_from.value() + store.refused_allow_from.value());
  out += fmt::format("grayling_connections_refused_total{{reason=\"limit\"}} {}\n",
                     io.refused_limit.value() + store.refused_limit.value());
  help(out, "grayling_connections_closed_total", "counter", "Policy connections closed by grayling, by reason");
  out += fmt::format("grayling_connections_closed_total{{reason=\"protocol_violation\"}} {}\n",
                     io.closed_protocol_violation.value() + store.closed_protocol_violation.value());
  out += fmt::format("grayling_connections_closed_total{{reason=\"unread_answer\"}} {}\n",
                     io.closed_unread_answer.value() + store.closed_unread_answer.value());
  help(out, "grayling_reloads_total", "counter", "Reloads (SIGHUP), by result");
  out += fmt::format("grayling_reloads_total{{result=\"ok\"}} {}\n", io.reloads_ok.value() + store.reloads_ok.value());
  out += fmt::format("grayling_reloads_total{{result=\"failed\"}} {}\n",
                     io.reloads_failed.value() + store.reloads_failed.value());
  help(out, "grayling_whitelist_entries", "gauge", "Entries of the static whitelists, by list");
  out += fmt::format("grayling_whitelist_entries{{list=\"clients\"}} {}\n", client_whitelist_entries.value());
  out += fmt::format("grayling_whitelist_entries{{list=\"recipients\"}} {}\n", recipient_whitelist_entries.value());

  gauge(out, "process_resident_memory_bytes", "Resident memory size in bytes", static_cast<std::int64_t>(resident_bytes()));
  gauge(out, "process_open_fds", "Number of open file descriptors", static_cast<std::int64_t>(open_fds()));
  help(out, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds");
  out += fmt::format("process_cpu_seconds_total {}\n", number(cpu_seconds()));
  gauge(out, "process_start_time_seconds", "Start time of the process since unix epoch in seconds", start_time);
  return out;
}

}  // namespace grayling::metrics
