#include "grayling/core/records.hpp"

#include <algorithm>

namespace grayling {

void RecordKeys::deduplicate() {
  for (auto* keys : {&triplets, &clients}) {
    std::sort(keys->begin(), keys->end());
    keys->erase(std::unique(keys->begin(), keys->end()), keys->end());
  }
}

TripletRecord merged_record(const TripletRecord& a, const TripletRecord& b) {
  return {std::min(a.first_seen, b.first_seen), std::max(a.last_seen, b.last_seen), a.passed || b.passed};
}

ClientRecord merged_record(const ClientRecord& a, const ClientRecord& b) {
  return {std::max(a.count, b.count), std::max(a.last_seen, b.last_seen)};
}

void RecordBatch::put_triplet(const std::string& key, const TripletRecord& record) {
  written_triplets_.push_back(&*records_.triplets.insert_or_assign(key, record).first);
}

void RecordBatch::put_client(const std::string& key, const ClientRecord& record) {
  written_clients_.push_back(&*records_.clients.insert_or_assign(key, record).first);
}

namespace {

/// One row per written entry (an entry written twice holds its last value), by key.
template <typename Entry>
auto collect(std::vector<const Entry*> written) {
  std::sort(written.begin(), written.end(), [](const Entry* a, const Entry* b) { return a->first < b->first; });
  written.erase(std::unique(written.begin(), written.end()), written.end());
  std::vector<std::pair<std::string_view, typename Entry::second_type>> rows;
  rows.reserve(written.size());
  for (const Entry* entry : written) rows.emplace_back(entry->first, entry->second);
  return rows;
}

}  // namespace

Writes RecordBatch::writes() const { return Writes{collect(written_triplets_), collect(written_clients_)}; }

}  // namespace grayling
