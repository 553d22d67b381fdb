#pragma once
/// Triplets known to pass, remembered on the I/O thread so that their repeat hits — most
/// of a mail server's traffic — are answered without a round trip to the store thread.

#include <cstddef>
#include <string>
#include <unordered_map>

#include "grayling/core/records.hpp"

namespace grayling {

/// A bounded map from triplet key to "passes until". An entry is only as good as the
/// store says: the engine hands out `cache_until` = the stored last_seen + its touch
/// interval, so a hit never skips a write the store needed (last_seen stays fresh for
/// max-age expiry), and a passed triplet cannot stop passing within that time.
class PassCache {
 public:
  explicit PassCache(std::size_t capacity = 100'000) : capacity_(capacity) {}

  /// True when `key` is known to pass at `now`.
  [[nodiscard]] bool passes(const std::string& key, EpochSeconds now) const {
    auto found = entries_.find(key);
    return found != entries_.end() && now < found->second;
  }

  /// Remembers that `key` passes until `until`. When full, starts over: simpler and
  /// cheaper than LRU bookkeeping on every hit, and the store still has everything.
  void remember(const std::string& key, EpochSeconds until) {
    if (capacity_ == 0) return;
    if (entries_.size() >= capacity_ && !entries_.count(key)) entries_.clear();
    entries_[key] = until;
  }

  [[nodiscard]] std::size_t size() const { return entries_.size(); }
  /// Forgets everything: the store changed under us (grayling-admin deleted a row).
  void clear() { entries_.clear(); }

 private:
  std::size_t capacity_;
  std::unordered_map<std::string, EpochSeconds> entries_;
};

}  // namespace grayling
