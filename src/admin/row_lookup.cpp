#include "grayling/admin/row_lookup.hpp"

#include "grayling/admin/row_dump.hpp"
#include "grayling/store/row_ids.hpp"

namespace grayling {

std::optional<TripletRow> find_triplet_row(Store& store, std::int64_t id) {
  auto page = store.triplet_rows(id, 1);
  if (page.empty() || page.front().id != id) return std::nullopt;
  return std::move(page.front());
}

std::optional<ClientRow> find_client_row(Store& store, std::int64_t id) {
  auto page = store.client_rows(id, 1);
  if (page.empty() || page.front().id != id) return std::nullopt;
  return std::move(page.front());
}

std::optional<std::int64_t> row_id_of(std::string_view name) {
  if (name.empty()) return std::nullopt;
  if (const auto id = parse_row_id(name)) return id;
  return store_key_digest(name);
}

Records read_records(Store& store, const RecordKeys& keys) {
  Records found;
  for (const auto key : keys.triplets) {
    if (auto row = find_triplet_row(store, store_key_digest(key))) found.triplets.emplace(std::string(key), row->record);
  }
  for (const auto key : keys.clients) {
    if (auto row = find_client_row(store, store_key_digest(key))) found.clients.emplace(std::string(key), row->record);
  }
  return found;
}

}  // namespace grayling
