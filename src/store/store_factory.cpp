#include "grayling/store/store_factory.hpp"

#include "grayling/store/memory_store.hpp"
#include "grayling/store/postgresql_store.hpp"
#include "grayling/store/sqlite_store.hpp"

namespace grayling {

std::unique_ptr<Store> open_store(const StoreUri& uri, const StoreOptions& options) {
  switch (uri.scheme) {
    case StoreUri::Scheme::memory:
      return std::make_unique<MemoryStore>();
    case StoreUri::Scheme::sqlite:
      return std::make_unique<SqliteStore>(uri.path, options.sync, options.report, options.access);
    case StoreUri::Scheme::postgresql:
      return std::make_unique<PostgresqlStore>(uri.conninfo, options.report);
  }
  throw StoreError("unknown store " + uri.describe());
}

}  // namespace grayling
