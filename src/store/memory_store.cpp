#include "grayling/store/memory_store.hpp"

namespace grayling {

namespace {
template <typename Table, typename Key>
auto find_in(Table& table, const Key& key) -> std::optional<typename Table::mapped_type> {
  auto found = table.find(key);
  if (found == table.end()) return std::nullopt;
  return found->second;
}

template <typename Table, typename Undo>
void undo(Table& table, Undo& entry) {
  if (entry.previous) {
    table.insert_or_assign(std::move(entry.key), *entry.previous);
  } else {
    table.erase(entry.key);
  }
}
}  // namespace

void MemoryStore::begin() {
  if (in_transaction_) throw StoreError("transaction already open");
  in_transaction_ = true;
}

void MemoryStore::commit() {
  if (!in_transaction_) throw StoreError("commit without begin");
  journal_.clear();
  in_transaction_ = false;
}

void MemoryStore::rollback() noexcept {
  for (auto it = journal_.rbegin(); it != journal_.rend(); ++it) {
    if (auto* entry = std::get_if<Undo<TripletRecord>>(&*it)) {
      undo(triplets_, *entry);
    } else {
      undo(clients_, std::get<Undo<ClientRecord>>(*it));
    }
  }
  journal_.clear();
  in_transaction_ = false;
}

template <typename Record>
void MemoryStore::remember(Table<Record>& table, std::string_view key) {
  if (in_transaction_) journal_.emplace_back(Undo<Record>{std::string(key), find_in(table, key)});
}

Records MemoryStore::load(const RecordKeys& keys) {
  Records found;
  for (const auto key : keys.triplets) {
    if (auto row = find_in(triplets_, key)) found.triplets.emplace(std::string(key), *row);
  }
  for (const auto key : keys.clients) {
    if (auto row = find_in(clients_, key)) found.clients.emplace(std::string(key), *row);
  }
  return found;
}

void MemoryStore::save(const Writes& writes) {
  for (const auto& [key, record] : writes.triplets) {
    remember(triplets_, key);
    triplets_.insert_or_assign(std::string(key), record);
  }
  for (const auto& [key, record] : writes.clients) {
    remember(clients_, key);
    clients_.insert_or_assign(std::string(key), record);
  }
}

std::size_t MemoryStore::expire(const ExpiryCutoffs& cutoffs, std::size_t max_rows) {
  std::size_t removed = 0;
  for (auto it = triplets_.begin(); it != triplets_.end() && removed < max_rows;) {
    const TripletRecord& record = it->second;
    const bool stale = record.last_seen < cutoffs.max_age_before ||
                       (!record.passed && record.last_seen < cutoffs.pending_before);
    if (!stale) {
      ++it;
      continue;
    }
    remember(triplets_, it->first);
    it = triplets_.erase(it);
    ++removed;
  }
  for (auto it = clients_.begin(); it != clients_.end() && removed < max_rows;) {
    if (it->second.last_seen >= cutoffs.max_age_before) {
      ++it;
      continue;
    }
    remember(clients_, it->first);
    it = clients_.erase(it);
    ++removed;
  }
  return removed;
}

}  // namespace grayling
