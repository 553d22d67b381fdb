#pragma once
/// A Store in process memory: for tests, and for running without persistence.

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "grayling/store/store.hpp"

namespace grayling {

/// Store kept in ordered maps. An undo journal makes rollback() behave like the SQLite
/// store's, without copying the tables for every transaction.
class MemoryStore final : public Store {
 public:
  void begin() override;
  void commit() override;
  void rollback() noexcept override;

  Records load(const RecordKeys& keys) override;
  void save(const Writes& writes) override;
  std::size_t expire(const ExpiryCutoffs& cutoffs, std::size_t max_rows) override;
  std::size_t triplet_count() override { return triplets_.size(); }
  std::size_t client_count() override { return clients_.size(); }

 private:
  template <typename Record>
  using Table = std::map<std::string, Record, std::less<>>;

  /// The value a key had before the transaction touched it (nullopt: it did not exist).
  template <typename Record>
  struct Undo {
    std::string key;
    std::optional<Record> previous;
  };

  template <typename Record>
  void remember(Table<Record>& table, std::string_view key);

  Table<TripletRecord> triplets_;
  Table<ClientRecord> clients_;
  bool in_transaction_ = false;
  std::vector<std::variant<Undo<TripletRecord>, Undo<ClientRecord>>> journal_;
};

}  // namespace grayling
