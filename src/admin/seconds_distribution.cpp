#include "grayling/admin/seconds_distribution.hpp"

namespace grayling {

void SecondsDistribution::add(std::int64_t seconds, std::uint64_t times) {
  if (times == 0) return;
  counts_[seconds] += times;
  total_ += times;
}

void SecondsDistribution::merge(const SecondsDistribution& other) {
  for (const auto& [seconds, times] : other.counts_) add(seconds, times);
}

std::optional<std::int64_t> SecondsDistribution::min() const {
  if (counts_.empty()) return std::nullopt;
  return counts_.begin()->first;
}

std::optional<std::int64_t> SecondsDistribution::max() const {
  if (counts_.empty()) return std::nullopt;
  return counts_.rbegin()->first;
}

std::optional<std::int64_t> SecondsDistribution::percentile(int percent) const {
  if (total_ == 0) return std::nullopt;
  // rank = ceil(percent/100 * total), at least 1, in integers.
  const std::uint64_t wanted = static_cast<std::uint64_t>(percent < 0 ? 0 : percent);
  std::uint64_t rank = (wanted * total_ + 99) / 100;
  if (rank == 0) rank = 1;
  std::uint64_t seen = 0;
  for (const auto& [seconds, times] : counts_) {
    seen += times;
    if (seen >= rank) return seconds;
  }
  return counts_.rbegin()->first;
}

std::uint64_t SecondsDistribution::count_between(std::int64_t from, std::int64_t to) const {
  std::uint64_t inside = 0;
  for (auto it = counts_.lower_bound(from); it != counts_.end() && it->first < to; ++it) inside += it->second;
  return inside;
}

}  // namespace grayling
