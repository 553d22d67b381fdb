#pragma once
/// How stores file keys: as 64-bit digests (the first 8 bytes of the key's SHA-1), the
/// same in every backend, so rows can move between them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "grayling/core/sha1.hpp"

namespace grayling {

/// The 64-bit digest under which a store files `key`.
[[nodiscard]] std::int64_t store_key_digest(std::string_view key);

/// Whether a row stored under `stored_key` is `key`'s. Two keys may share a digest (a
/// pair is found in about 2^32 hashes): a row is only ever its own key's, and the other
/// key finds it absent, and takes it over when written. A row that has no key yet
/// (written before keys were kept) is taken to be the key's that asks.
[[nodiscard]] inline bool row_belongs_to(std::string_view stored_key, std::string_view key) {
  return stored_key.empty() || stored_key == key;
}

/// The digests of the keys a transaction loaded, so that saving the same keys does not
/// hash them again. Kept sorted and searched by bisection: no hashing, and the strings
/// keep their capacity from batch to batch, so a steady stream of batches allocates
/// nothing. One per store, used by its one thread.
class RowIdCache {
 public:
  /// Forgets every key (at the start of a transaction).
  void clear() {
    used_ = 0;
    sorted_ = true;
  }

  /// The digest of a key being loaded, remembered for its save.
  std::int64_t loaded(std::string_view key);

  /// The digest of a key being saved: remembered from its load, or computed now.
  std::int64_t saved(std::string_view key);

 private:
  struct Entry {
    std::string key;
    std::int64_t id = 0;
  };
  [[nodiscard]] std::optional<std::int64_t> find(std::string_view key);
  std::int64_t digest(std::string_view key);

  Sha1Hasher hasher_;
  std::vector<Entry> entries_;
  std::size_t used_ = 0;
  bool sorted_ = true;
};

}  // namespace grayling
