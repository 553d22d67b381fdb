#include "grayling/open_store.hpp"

#include <fmt/format.h>

#include "grayling/memory_store.hpp"

namespace grayling {

std::unique_ptr<Store> open_store(std::string_view uri, SyncMode sync) {
  if (uri == "memory:") return std::make_unique<MemoryStore>();
  if (uri.starts_with("sqlite:")) return std::make_unique<SqliteStore>(std::string(uri.substr(7)), sync);
  throw StoreError(fmt::format("unknown store '{}' (expected memory: or sqlite:PATH)", uri));
}

}  // namespace grayling
