#pragma once
/// Opens the store a StoreUri names: the one place that knows every backend.

#include <memory>
#include <string>

#include "grayling/store/store.hpp"
#include "grayling/store/store_uri.hpp"

namespace grayling {

/// What every backend may be told when it is opened.
struct StoreOptions {
  SyncMode sync = SyncMode::full;
  StoreReporter report;  // the daemon logs these
  StoreAccess access;
};

/// Opens (and creates or migrates) the store. Throws StoreError.
[[nodiscard]] std::unique_ptr<Store> open_store(const StoreUri& uri, const StoreOptions& options = {});

}  // namespace grayling
