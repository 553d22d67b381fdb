#include "grayling/core/records.hpp"

#include <algorithm>

namespace grayling {

void RecordKeys::deduplicate() {
  for (auto* keys : {&triplets, &clients}) {
    std::sort(keys->begin(), keys->end());
    keys->erase(std::unique(keys->begin(), keys->end()), keys->end());
  }
}

void RecordBatch::put_triplet(const std::string& key, const TripletRecord& record) {
  records_.triplets[key] = record;
  dirty_triplets_[key] = true;
}

void RecordBatch::put_client(const std::string& key, const ClientRecord& record) {
  records_.clients[key] = record;
  dirty_clients_[key] = true;
}

namespace {

template <typename Record>
std::vector<std::pair<std::string, Record>> collect(const Records::Table<Record>& table,
                                                    const Records::Table<bool>& dirty) {
  std::vector<std::pair<std::string, Record>> rows;
  rows.reserve(dirty.size());
  for (const auto& [key, unused] : dirty) rows.emplace_back(key, table.find(key)->second);
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return rows;
}

}  // namespace

Writes RecordBatch::writes() const {
  return Writes{collect(records_.triplets, dirty_triplets_), collect(records_.clients, dirty_clients_)};
}

}  // namespace grayling
