#pragma once
/// A Store in process memory: for tests, and for running without persistence.

#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "grayling/store/store.hpp"

namespace grayling {

/// Store kept in ordered maps of rows, filed by key digest as every backend files them.
/// An undo journal makes rollback() behave like the SQLite store's, without copying the
/// tables for every transaction.
class MemoryStore final : public Store {
 public:
  void begin() override;
  void commit() override;
  void rollback() noexcept override;

  Records load(const RecordKeys& keys) override;
  void save(const Writes& writes) override;
  std::size_t expire(const ExpiryCutoffs& cutoffs, std::size_t max_rows) override;
  std::vector<TripletRow> triplet_rows(std::int64_t from_id, std::size_t limit) override;
  std::vector<ClientRow> client_rows(std::int64_t from_id, std::size_t limit) override;
  void merge(const std::vector<TripletRow>& triplets, const std::vector<ClientRow>& clients) override;
  std::size_t remove(const std::vector<std::int64_t>& triplet_ids, const std::vector<std::int64_t>& client_ids) override;
  StoreStats stats(const ExpiryCutoffs& cutoffs) override;
  std::size_t triplet_count() override { return triplets_.size(); }
  std::size_t client_count() override { return clients_.size(); }

 private:
  template <typename Row>
  using Table = std::map<std::int64_t, Row>;

  /// The row a key had before the transaction touched it (nullopt: it did not exist).
  template <typename Row>
  struct Undo {
    std::int64_t id = 0;
    std::optional<Row> previous;
  };

  template <typename Row>
  void remember(Table<Row>& table, std::int64_t id);
  /// Writes `record` under `key`'s digest, as `key`'s row.
  template <typename Row, typename Record>
  void put(Table<Row>& table, std::string_view key, const Record& record);
  /// Inserts `row`, or merges it into the stored one.
  template <typename Row>
  void merge_row(Table<Row>& table, const Row& row);

  Table<TripletRow> triplets_;
  Table<ClientRow> clients_;
  bool in_transaction_ = false;
  std::vector<std::variant<Undo<TripletRow>, Undo<ClientRow>>> journal_;
};

}  // namespace grayling
