#pragma once
/// A Store in process memory: for tests, and for running without persistence.

#include <cstdint>
#include <map>
#include <optional>
#include <variant>
#include <vector>

#include "grayling/store/store.hpp"

namespace grayling {

/// Store kept in ordered maps, filed by key digest as every backend files them. An undo
/// journal makes rollback() behave like the SQLite store's, without copying the tables
/// for every transaction.
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
  StoreStats stats(const ExpiryCutoffs& cutoffs) override;
  std::size_t triplet_count() override { return triplets_.size(); }
  std::size_t client_count() override { return clients_.size(); }

 private:
  template <typename Record>
  using Table = std::map<std::int64_t, Record>;

  /// The value a key had before the transaction touched it (nullopt: it did not exist).
  template <typename Record>
  struct Undo {
    std::int64_t id = 0;
    std::optional<Record> previous;
  };

  template <typename Record>
  void remember(Table<Record>& table, std::int64_t id);
  template <typename Record>
  void put(Table<Record>& table, std::int64_t id, const Record& record);

  Table<TripletRecord> triplets_;
  Table<ClientRecord> clients_;
  bool in_transaction_ = false;
  std::vector<std::variant<Undo<TripletRecord>, Undo<ClientRecord>>> journal_;
};

}  // namespace grayling
