#pragma once
/// A small deterministic random generator (splitmix64). The standard distributions are not
/// specified bit for bit, so a seed would not give the same trace everywhere; this does.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace delivery {

/// A stream of random numbers from a seed.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}

  /// The stream for (seed, a, b): attempt n of message m draws from Random::of(seed_m, n, …),
  /// so it is the same attempt in every configuration, however many came before it.
  static Random of(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0) {
    return Random(mix(seed ^ mix(a ^ mix(b + 0x51ed270b27a3c1d5ULL))));
  }

  std::uint64_t next() { return mix(state_ += 0x9e3779b97f4a7c15ULL); }
  /// Uniform in [0, n); 0 when n is 0. The modulo bias is far below what the trace notices.
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }
  /// Uniform in [low, high], both included.
  std::int64_t between(std::int64_t low, std::int64_t high) {
    return low + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(high - low) + 1));
  }
  /// Uniform in [0, 1).
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return unit() < p; }
  template <typename T>
  const T& pick(const std::vector<T>& items) {
    return items[static_cast<std::size_t>(below(items.size()))];
  }

 private:
  static std::uint64_t mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  std::uint64_t state_;
};

}  // namespace delivery
