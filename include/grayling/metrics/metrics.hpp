#pragma once
/// grayling's own metrics, counted without a lock or an atomic read-modify-write on the
/// request path: each thread (the I/O thread, the store thread) writes a shard of its own,
/// and a scrape adds the shards up. A counter has one writer, so "add" is a relaxed load
/// and a relaxed store; a reader on another thread sees a recent value, never a torn one.

#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace grayling::metrics {

/// A counter written by one thread and read by any.
class Counter {
 public:
  void add(std::uint64_t n = 1) { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

/// A gauge set by one thread and read by any.
class Gauge {
 public:
  void set(std::int64_t value) { value_.store(value, std::memory_order_relaxed); }
  void add(std::int64_t n) { set(value() + n); }
  [[nodiscard]] std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

/// A Prometheus histogram with fixed upper bounds (seconds, or a count), written by one
/// thread. The sum is kept in millionths so it stays an integer counter.
class Histogram {
 public:
  static constexpr std::size_t kMaxBuckets = 16;
  explicit Histogram(std::span<const double> bounds);
  void observe(double value);
  [[nodiscard]] std::span<const double> bounds() const { return {bounds_.data(), size_}; }
  /// Observations at or below bound i (not cumulative); index size() is +Inf's own.
  [[nodiscard]] std::uint64_t bucket(std::size_t i) const { return counts_[i].value(); }
  [[nodiscard]] std::uint64_t count() const { return count_.value(); }
  [[nodiscard]] double sum() const { return static_cast<double>(sum_micro_.value()) / 1e6; }

 private:
  std::array<double, kMaxBuckets> bounds_{};
  std::size_t size_ = 0;
  std::array<Counter, kMaxBuckets + 1> counts_;
  Counter count_;
  Counter sum_micro_;
};

/// Decision labels: action x reason, as grayling_decisions_total has them.
enum class Action : std::uint8_t { greylist, pass, skip, count_ };
enum class Reason : std::uint8_t {
  new_triplet, early_retry, triplet_found, client_whitelist, recipient_whitelist, client_awl, skipped, store_error,
  count_
};
[[nodiscard]] std::string_view label(Action action);
[[nodiscard]] std::string_view label(Reason reason);

/// What one thread counts. Every shard has every metric; each thread touches its own.
struct Shard {
  Shard();
  std::array<std::array<Counter, static_cast<std::size_t>(Reason::count_)>, static_cast<std::size_t>(Action::count_)>
      decisions;
  Histogram request_duration;  // seconds, complete request to reply written
  Histogram greylist_delay;    // seconds, first greylisting to the pass
  Histogram batch_requests;    // requests per store transaction
  Histogram commit_duration;   // seconds
  Counter store_errors;        // a batch the store failed
  Counter store_timeouts;      // requests answered by --store-timeout
  Counter store_busy;          // requests answered at once: their connection's last lookups are still with the store
  Counter expiry_runs, expiry_rows, expiry_micros;
  Counter connections_accepted, refused_allow_from, refused_limit, closed_protocol_violation, closed_unread_answer;
  Counter reloads_ok, reloads_failed;

  void decision(Action action, Reason reason) {
    decisions[static_cast<std::size_t>(action)][static_cast<std::size_t>(reason)].add();
  }
};

/// The daemon's metrics: a shard per thread, and gauges.
class Metrics {
 public:
  Shard io;     // the I/O thread's
  Shard store;  // the store thread's
  Gauge connections_open;
  Gauge store_queue;  // lookups waiting for the store thread
  Gauge triplet_rows, client_rows;
  Gauge client_whitelist_entries, recipient_whitelist_entries;
  Gauge ready;  // listening and the store usable (1), for /readyz
  std::string version;
  std::int64_t start_time = 0;  // seconds since the epoch

  /// The Prometheus text exposition (format 0.0.4), process metrics included.
  [[nodiscard]] std::string render() const;
};

}  // namespace grayling::metrics
