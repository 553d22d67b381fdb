#include "grayling/store/store.hpp"

namespace grayling {

// For a store without round trips to save: the three calls, in order.
std::optional<Records> Store::commit_and_load(const RecordKeys& next) {
  commit();
  try {
    begin();
    return load(next);
  } catch (const StoreError&) {
    rollback();
    return std::nullopt;
  }
}

}  // namespace grayling
