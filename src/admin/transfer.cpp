#include "grayling/admin/transfer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <istream>
#include <limits>
#include <ostream>
#include <type_traits>
#include <variant>

#include "grayling/admin/row_dump.hpp"
#include "grayling/store/row_fold.hpp"

namespace grayling {

namespace {

// Rows per page of the export's walk: large enough that a round trip to a remote
// database is not per row, small enough that no read holds anything for long.
constexpr std::size_t kExportPage = 5000;
constexpr int kConflictAttempts = 5;

/// Walks a table page by page, writing each row's line.
template <typename Page>
std::size_t export_table(std::ostream& out, Page&& page_from) {
  std::size_t written = 0;
  std::int64_t from = std::numeric_limits<std::int64_t>::min();
  for (;;) {
    const auto page = page_from(from);
    for (const auto& row : page) out << dump_line(row) << '\n';
    written += page.size();
    if (page.size() < kExportPage || page.back().id == std::numeric_limits<std::int64_t>::max()) return written;
    from = page.back().id + 1;
  }
}

/// One transaction's merge, run again if it lost to another writer.
void merge_in_transaction(Store& store, const std::vector<TripletRow>& triplets, const std::vector<ClientRow>& clients) {
  for (int attempt = 1;; ++attempt) {
    try {
      store.begin();
      store.merge(triplets, clients);
      store.commit();
      return;
    } catch (const StoreConflict&) {
      store.rollback();
      if (attempt == kConflictAttempts) throw;
    } catch (...) {
      store.rollback();
      throw;
    }
  }
}

}  // namespace

RowCounts export_rows(Store& store, std::ostream& out, EpochSeconds now) {
  out << dump_header(now) << '\n';
  RowCounts counts;
  counts.triplets = export_table(out, [&](std::int64_t from) { return store.triplet_rows(from, kExportPage); });
  counts.clients = export_table(out, [&](std::int64_t from) { return store.client_rows(from, kExportPage); });
  out.flush();
  if (!out) throw std::runtime_error("writing the dump failed");
  return counts;
}

Dump read_dump(std::istream& in, const std::string& name) {
  Dump dump;
  std::string line;
  std::size_t number = 0;
  try {
    if (!std::getline(in, line)) throw DumpError("empty: not a grayling dump");
    number = 1;
    check_dump_header(line);
    while (std::getline(in, line)) {
      ++number;
      if (line.empty()) continue;
      std::visit(
          [&](auto&& row) {
            if constexpr (std::is_same_v<std::decay_t<decltype(row)>, TripletRow>) {
              dump.triplets.push_back(row);
            } else {
              dump.clients.push_back(row);
            }
          },
          parse_dump_line(line));
    }
    if (in.bad()) throw DumpError("read error");
  } catch (const DumpError& e) {
    throw DumpError(number == 0 ? fmt::format("{}: {}", name, e.what()) : fmt::format("{}:{}: {}", name, number, e.what()));
  }
  fold_rows(dump);
  return dump;
}

void fold_rows(Dump& dump) {
  sort_and_fold_by_id(dump.triplets);
  sort_and_fold_by_id(dump.clients);
}

RowCounts import_rows(Store& store, const Dump& dump, std::size_t rows_per_transaction,
                      const ImportProgress& progress) {
  rows_per_transaction = std::max<std::size_t>(rows_per_transaction, 1);
  const std::size_t total = dump.triplets.size() + dump.clients.size();
  for (std::size_t at = 0; at < dump.triplets.size(); at += rows_per_transaction) {
    const auto end = std::min(dump.triplets.size(), at + rows_per_transaction);
    merge_in_transaction(store, {dump.triplets.begin() + static_cast<std::ptrdiff_t>(at),
                                 dump.triplets.begin() + static_cast<std::ptrdiff_t>(end)}, {});
    if (progress) progress(end, total);
  }
  for (std::size_t at = 0; at < dump.clients.size(); at += rows_per_transaction) {
    const auto end = std::min(dump.clients.size(), at + rows_per_transaction);
    merge_in_transaction(store, {}, {dump.clients.begin() + static_cast<std::ptrdiff_t>(at),
                                     dump.clients.begin() + static_cast<std::ptrdiff_t>(end)});
    if (progress) progress(dump.triplets.size() + end, total);
  }
  return {dump.triplets.size(), dump.clients.size()};
}

}  // namespace grayling
