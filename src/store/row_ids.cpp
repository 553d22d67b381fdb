#include "grayling/store/row_ids.hpp"

#include <algorithm>

namespace grayling {

namespace {

std::int64_t first_eight_bytes(const Sha1Digest& digest) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | digest[i];
  return static_cast<std::int64_t>(value);
}

}  // namespace

std::int64_t store_key_digest(std::string_view key) { return first_eight_bytes(sha1(key)); }

std::int64_t RowIdCache::digest(std::string_view key) { return first_eight_bytes(hasher_.digest(key)); }

std::int64_t RowIdCache::loaded(std::string_view key) {
  const std::int64_t id = digest(key);
  if (used_ == entries_.size()) entries_.emplace_back();
  if (used_ > 0 && entries_[used_ - 1].key >= key) sorted_ = false;  // a batch's keys come sorted
  entries_[used_].key.assign(key);
  entries_[used_].id = id;
  ++used_;
  return id;
}

std::int64_t RowIdCache::saved(std::string_view key) {
  if (auto id = find(key)) return *id;
  return digest(key);
}

std::optional<std::int64_t> RowIdCache::find(std::string_view key) {
  const auto end = entries_.begin() + static_cast<std::ptrdiff_t>(used_);
  if (!sorted_) {
    std::sort(entries_.begin(), end, [](const Entry& a, const Entry& b) { return a.key < b.key; });
    sorted_ = true;
  }
  const auto found =
      std::lower_bound(entries_.begin(), end, key, [](const Entry& entry, std::string_view k) { return entry.key < k; });
  if (found == end || found->key != key) return std::nullopt;
  return found->id;
}

}  // namespace grayling
