#include "grayling/store/memory_store.hpp"

#include <algorithm>

#include "grayling/store/row_ids.hpp"

namespace grayling {

namespace {
template <typename Table>
auto find_in(const Table& table, std::int64_t id) -> std::optional<typename Table::mapped_type> {
  auto found = table.find(id);
  if (found == table.end()) return std::nullopt;
  return found->second;
}

template <typename Table, typename Undo>
void undo(Table& table, const Undo& entry) {
  if (entry.previous) {
    table.insert_or_assign(entry.id, *entry.previous);
  } else {
    table.erase(entry.id);
  }
}

template <typename Row, typename Table>
std::vector<Row> page_of(const Table& table, std::int64_t from_id, std::size_t limit) {
  std::vector<Row> rows;
  for (auto it = table.lower_bound(from_id); it != table.end() && rows.size() < limit; ++it) {
    rows.push_back(Row{it->first, it->second});
  }
  return rows;
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
void MemoryStore::remember(Table<Record>& table, std::int64_t id) {
  if (in_transaction_) journal_.emplace_back(Undo<Record>{id, find_in(table, id)});
}

template <typename Record>
void MemoryStore::put(Table<Record>& table, std::int64_t id, const Record& record) {
  remember(table, id);
  table.insert_or_assign(id, record);
}

Records MemoryStore::load(const RecordKeys& keys) {
  Records found;
  for (const auto key : keys.triplets) {
    if (auto row = find_in(triplets_, store_key_digest(key))) found.triplets.emplace(std::string(key), *row);
  }
  for (const auto key : keys.clients) {
    if (auto row = find_in(clients_, store_key_digest(key))) found.clients.emplace(std::string(key), *row);
  }
  return found;
}

void MemoryStore::save(const Writes& writes) {
  for (const auto& [key, record] : writes.triplets) put(triplets_, store_key_digest(key), record);
  for (const auto& [key, record] : writes.clients) put(clients_, store_key_digest(key), record);
}

std::vector<TripletRow> MemoryStore::triplet_rows(std::int64_t from_id, std::size_t limit) {
  return page_of<TripletRow>(triplets_, from_id, limit);
}

std::vector<ClientRow> MemoryStore::client_rows(std::int64_t from_id, std::size_t limit) {
  return page_of<ClientRow>(clients_, from_id, limit);
}

void MemoryStore::merge(const std::vector<TripletRow>& triplets, const std::vector<ClientRow>& clients) {
  for (const auto& row : triplets) {
    const auto stored = find_in(triplets_, row.id);
    put(triplets_, row.id, stored ? merged_record(*stored, row.record) : row.record);
  }
  for (const auto& row : clients) {
    const auto stored = find_in(clients_, row.id);
    put(clients_, row.id, stored ? merged_record(*stored, row.record) : row.record);
  }
}

StoreStats MemoryStore::stats(const ExpiryCutoffs& cutoffs) {
  StoreStats stats;
  for (const auto& [id, record] : triplets_) {
    ++(record.passed ? stats.passed : stats.pending);
    stats.oldest = std::min(stats.oldest.value_or(record.first_seen), record.first_seen);
    stats.due_for_expiry += record.last_seen < cutoffs.max_age_before ||
                            (!record.passed && record.last_seen < cutoffs.pending_before);
  }
  stats.clients = clients_.size();
  for (const auto& [id, record] : clients_) stats.due_for_expiry += record.last_seen < cutoffs.max_age_before;
  return stats;
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
