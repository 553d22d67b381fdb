/// Bucket arithmetic of the latency histogram (histogram.hpp).

#include "histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace bench {

namespace {
constexpr std::uint64_t kHalf = 1ULL << 6;  // 2^(kSubBits-1)
}

int Histogram::bucket_of(std::uint64_t value) {
  if (value < 2 * kHalf) return static_cast<int>(value);
  const int shift = std::bit_width(value) - 7;  // keep the top 7 bits
  const std::uint64_t mantissa = value >> shift;  // in [64, 128)
  return static_cast<int>((static_cast<std::uint64_t>(shift) + 1) * kHalf + (mantissa - kHalf));
}

std::int64_t Histogram::midpoint_of(int bucket) {
  if (bucket < static_cast<int>(2 * kHalf)) return bucket;
  const int shift = bucket / static_cast<int>(kHalf) - 1;
  const std::uint64_t mantissa = bucket % kHalf + kHalf;
  const std::uint64_t low = mantissa << shift;
  return static_cast<std::int64_t>(low + ((1ULL << shift) >> 1));
}

void Histogram::record(std::int64_t nanoseconds) {
  const auto value = static_cast<std::uint64_t>(std::max<std::int64_t>(nanoseconds, 0));
  ++buckets_[static_cast<std::size_t>(bucket_of(value))];
  ++count_;
  sum_ += static_cast<std::int64_t>(value);
  max_ = std::max(max_, static_cast<std::int64_t>(value));
}

void Histogram::merge(const Histogram& other) {
  for (std::size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

std::int64_t Histogram::percentile(double fraction) const {
  if (count_ == 0) return 0;
  // The sample of rank ceil(fraction * count), 1-based, as "p99 = 99% are at or below".
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(fraction * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(midpoint_of(static_cast<int>(i)), max_);
  }
  return max_;
}

}  // namespace bench
