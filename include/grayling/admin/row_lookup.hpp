#pragma once
/// Finding single rows in a store for grayling-admin: by id, or by the name an
/// administrator gives a row (an id as `list` prints it, or its key).

#include <optional>
#include <string_view>

#include "grayling/core/records.hpp"
#include "grayling/store/store.hpp"

namespace grayling {

[[nodiscard]] std::optional<TripletRow> find_triplet_row(Store& store, std::int64_t id);
[[nodiscard]] std::optional<ClientRow> find_client_row(Store& store, std::int64_t id);

/// The id of a row named by its 16 hex digits, or else by its key (as stored: with
/// --privacy, the SHA-1 hex). Empty names nothing: nullopt.
[[nodiscard]] std::optional<std::int64_t> row_id_of(std::string_view name);

/// The stored rows of `keys`, read outside any transaction (nothing locked, nothing
/// written): what explain needs of the store.
[[nodiscard]] Records read_records(Store& store, const RecordKeys& keys);

}  // namespace grayling
