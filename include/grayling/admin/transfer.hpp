#pragma once
/// Rows between a store and a dump (row_dump.hpp): grayling-admin export and import.
/// Both work beside a running daemon, in short transactions of their own.

#include <cstddef>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "grayling/store/store.hpp"

namespace grayling {

struct RowCounts {
  std::size_t triplets = 0;
  std::size_t clients = 0;
};

/// Writes the header and every row of `store`, a page at a time. Not a snapshot: a row a
/// daemon writes meanwhile may or may not be in it (importing a later dump merges it).
/// Throws StoreError, or std::runtime_error when `out` fails.
RowCounts export_rows(Store& store, std::ostream& out, EpochSeconds now);

/// A whole dump, checked line by line before anything is written, so that a dump with one
/// bad line imports nothing. Rows come sorted by id, one per id: rows with the same id
/// are merged (merged_record), as the store would merge them.
struct Dump {
  std::vector<TripletRow> triplets;
  std::vector<ClientRow> clients;
};

/// Sorts a dump's rows by id and folds rows with the same id into one (merged_record; the
/// key of whichever has one): what read_dump returns, and what import_rows expects.
void fold_rows(Dump& dump);

/// Reads a dump from `in`; `name` is how errors name it. Throws DumpError
/// "NAME:LINE: what is wrong", for the first bad line.
[[nodiscard]] Dump read_dump(std::istream& in, const std::string& name);

/// Merges the dump into `store`, `rows_per_transaction` rows per transaction: each is
/// short, so a running daemon's batches hardly wait, and a transaction that loses to a
/// daemon's (a serialization failure) is run again. A failure part-way leaves whole
/// transactions merged; importing the dump again completes it, as merging is idempotent.
/// Throws StoreError. `progress`, if set, hears the rows merged so far after each
/// transaction, and the total.
using ImportProgress = std::function<void(std::size_t done, std::size_t total)>;
RowCounts import_rows(Store& store, const Dump& dump, std::size_t rows_per_transaction = 1000,
                      const ImportProgress& progress = {});

}  // namespace grayling
