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

template <typename Table>
std::vector<typename Table::mapped_type> page_of(const Table& table, std::int64_t from_id, std::size_t limit) {
  std::vector<typename Table::mapped_type> rows;
  for (auto it = table.lower_bound(from_id); it != table.end() && rows.size() < limit; ++it) rows.push_back(it->second);
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
    if (auto* entry = std::get_if<Undo<TripletRow>>(&*it)) {
      undo(triplets_, *entry);
    } else {
      undo(clients_, std::get<Undo<ClientRow>>(*it));
    }
  }
  journal_.clear();
  in_transaction_ = false;
}

template <typename Row>
void MemoryStore::remember(Table<Row>& table, std::int64_t id) {
  if (in_transaction_) journal_.emplace_back(Undo<Row>{id, find_in(table, id)});
}

template <typename Row, typename Record>
void MemoryStore::put(Table<Row>& table, std::string_view key, const Record& record) {
  const std::int64_t id = store_key_digest(key);
  remember(table, id);
  auto [row, inserted] = table.try_emplace(id, Row{id, record, std::string(key)});
  if (inserted) return;
  row->second.record = record;
  // A row merged without its key takes it; another key's row (their digests collide) is
  // taken over, as the other backends do.
  if (!key.empty()) row->second.key = key;
}

template <typename Row>
void MemoryStore::merge_row(Table<Row>& table, const Row& row) {
  remember(table, row.id);
  auto [stored, inserted] = table.try_emplace(row.id, row);
  if (inserted) return;
  stored->second.record = merged_record(stored->second.record, row.record);
  if (stored->second.key.empty()) stored->second.key = row.key;
}

Records MemoryStore::load(const RecordKeys& keys) {
  Records found;
  for (const auto key : keys.triplets) {
    auto row = find_in(triplets_, store_key_digest(key));
    if (row && row_belongs_to(row->key, key)) found.triplets.emplace(std::string(key), row->record);
  }
  for (const auto key : keys.clients) {
    auto row = find_in(clients_, store_key_digest(key));
    if (row && row_belongs_to(row->key, key)) found.clients.emplace(std::string(key), row->record);
  }
  return found;
}

void MemoryStore::save(const Writes& writes) {
  for (const auto& [key, record] : writes.triplets) put(triplets_, key, record);
  for (const auto& [key, record] : writes.clients) put(clients_, key, record);
}

std::vector<TripletRow> MemoryStore::triplet_rows(std::int64_t from_id, std::size_t limit) {
  return page_of(triplets_, from_id, limit);
}

std::vector<ClientRow> MemoryStore::client_rows(std::int64_t from_id, std::size_t limit) {
  return page_of(clients_, from_id, limit);
}

void MemoryStore::merge(const std::vector<TripletRow>& triplets, const std::vector<ClientRow>& clients) {
  for (const auto& row : triplets) merge_row(triplets_, row);
  for (const auto& row : clients) merge_row(clients_, row);
}

std::size_t MemoryStore::remove(const std::vector<std::int64_t>& triplet_ids,
                                const std::vector<std::int64_t>& client_ids) {
  std::size_t removed = 0;
  auto erase_from = [&](auto& table, std::int64_t id) {
    if (!table.count(id)) return;
    remember(table, id);
    table.erase(id);
    ++removed;
  };
  for (const auto id : triplet_ids) erase_from(triplets_, id);
  for (const auto id : client_ids) erase_from(clients_, id);
  return removed;
}

StoreStats MemoryStore::stats(const ExpiryCutoffs& cutoffs) {
  StoreStats stats;
  for (const auto& [id, row] : triplets_) {
    const TripletRecord& record = row.record;
    ++(record.passed ? stats.passed : stats.pending);
    stats.oldest = std::min(stats.oldest.value_or(record.first_seen), record.first_seen);
    stats.due_for_expiry += record.last_seen < cutoffs.max_age_before ||
                            (!record.passed && record.last_seen < cutoffs.pending_before);
  }
  stats.clients = clients_.size();
  for (const auto& [id, row] : clients_) stats.due_for_expiry += row.record.last_seen < cutoffs.max_age_before;
  return stats;
}

std::size_t MemoryStore::expire(const ExpiryCutoffs& cutoffs, std::size_t max_rows) {
  std::size_t removed = 0;
  for (auto it = triplets_.begin(); it != triplets_.end() && removed < max_rows;) {
    const TripletRecord& record = it->second.record;
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
    if (it->second.record.last_seen >= cutoffs.max_age_before) {
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
