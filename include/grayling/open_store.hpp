#pragma once
/// Chooses a Store implementation from a URI, so the daemon and tests name stores alike.

#include <memory>
#include <string_view>

#include "grayling/sqlite_store.hpp"
#include "grayling/store.hpp"

namespace grayling {

/// "memory:" or "sqlite:PATH". Throws StoreError for an unknown scheme or a failed open.
std::unique_ptr<Store> open_store(std::string_view uri, SyncMode sync = SyncMode::full);

}  // namespace grayling
