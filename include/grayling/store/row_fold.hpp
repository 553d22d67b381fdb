#pragma once
/// Rows of one id folded into one, as Store::merge merges them in turn: for the import and
/// export of dumps (grayling-admin) and for a backend's merge in one statement, which may
/// not touch a row twice.

#include <algorithm>
#include <utility>
#include <vector>

#include "grayling/core/records.hpp"

namespace grayling {

/// Sorts `rows` (TripletRow or ClientRow) by id and folds those of one id into one:
/// merged_record() of their records, the first key any of them has.
template <typename Row>
void sort_and_fold_by_id(std::vector<Row>& rows) {
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.id < b.id; });
  std::size_t kept = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (kept > 0 && rows[kept - 1].id == rows[i].id) {
      Row& into = rows[kept - 1];
      into.record = merged_record(into.record, rows[i].record);
      if (into.key.empty()) into.key = std::move(rows[i].key);
    } else if (kept++ != i) {
      rows[kept - 1] = std::move(rows[i]);
    }
  }
  rows.resize(kept);
}

}  // namespace grayling
