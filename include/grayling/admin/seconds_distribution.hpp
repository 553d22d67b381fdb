#pragma once
/// A multiset of durations in seconds with exact percentiles, in memory bounded by the
/// number of distinct values (a log of millions of passes has a few thousand distinct
/// delays), not by how many were added.

#include <cstdint>
#include <map>
#include <optional>

namespace grayling {

/// Durations counted by value.
class SecondsDistribution {
 public:
  void add(std::int64_t seconds, std::uint64_t times = 1);
  void merge(const SecondsDistribution& other);

  [[nodiscard]] std::uint64_t count() const { return total_; }
  [[nodiscard]] std::optional<std::int64_t> min() const;
  [[nodiscard]] std::optional<std::int64_t> max() const;
  /// Nearest rank: the smallest value that at least `percent`% of the values do not exceed
  /// (so the median of 1,2,3,4 is 2, a value that really occurred). nullopt when empty.
  [[nodiscard]] std::optional<std::int64_t> percentile(int percent) const;
  /// How many values lie in [from, to).
  [[nodiscard]] std::uint64_t count_between(std::int64_t from, std::int64_t to) const;

  friend bool operator==(const SecondsDistribution&, const SecondsDistribution&) = default;

 private:
  std::map<std::int64_t, std::uint64_t> counts_;
  std::uint64_t total_ = 0;
};

}  // namespace grayling
