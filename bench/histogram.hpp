#pragma once
/// Latency histogram: log-linear buckets (1 ns steps below 128 ns, then 64 buckets per
/// power of two, so any recorded value is known to within 1.6%), fixed size, mergeable.
/// Percentiles come from every request's own timestamps, never from averages.

#include <array>
#include <cstdint>

namespace bench {

class Histogram {
 public:
  void record(std::int64_t nanoseconds);
  void merge(const Histogram& other);

  [[nodiscard]] std::uint64_t count() const { return count_; }
  [[nodiscard]] std::int64_t max() const { return max_; }
  [[nodiscard]] double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0; }
  /// The value below which `fraction` (0..1) of the samples lie, in nanoseconds.
  [[nodiscard]] std::int64_t percentile(double fraction) const;

 private:
  static constexpr int kSubBits = 7;  // 2^7 exact values, then 2^6 buckets per octave
  static constexpr int kBuckets = (64 - kSubBits + 1) * (1 << (kSubBits - 1)) + (1 << (kSubBits - 1));
  static int bucket_of(std::uint64_t value);
  static std::int64_t midpoint_of(int bucket);

  std::array<std::uint64_t, kBuckets> buckets_{};
  std::uint64_t count_ = 0;
  std::int64_t sum_ = 0;
  std::int64_t max_ = 0;
};

}  // namespace bench
