#pragma once
/// What grayling remembers, as plain values: the rows a store loads for a batch, and the
/// writes the engine decides. The engine works on these; only stores know where they live.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "grayling/core/string_hash.hpp"

namespace grayling {

/// Seconds since the Unix epoch; the only clock unit the engine and stores know.
using EpochSeconds = std::int64_t;

/// What we remember about one (client, sender, recipient) triplet.
struct TripletRecord {
  EpochSeconds first_seen = 0;
  EpochSeconds last_seen = 0;
  bool passed = false;  // has passed greylisting at least once
  friend bool operator==(const TripletRecord&, const TripletRecord&) = default;
};

/// Auto-whitelist counter for one client.
struct ClientRecord {
  std::int64_t count = 0;
  EpochSeconds last_seen = 0;
  friend bool operator==(const ClientRecord&, const ClientRecord&) = default;
};

/// What two copies of a row know together, for importing rows into a store that may hold
/// them already: the earliest first sighting, the latest last one, passed if either
/// passed, the higher count. Commutative and idempotent, so an import can be repeated.
[[nodiscard]] TripletRecord merged_record(const TripletRecord& a, const TripletRecord& b);
[[nodiscard]] ClientRecord merged_record(const ClientRecord& a, const ClientRecord& b);

/// Which rows are stale: triplets and clients not seen since `max_age_before`, and
/// triplets that never passed and were not retried since `pending_before`.
struct ExpiryCutoffs {
  EpochSeconds max_age_before = 0;
  EpochSeconds pending_before = 0;
};

/// The keys a batch needs: triplet keys and auto-whitelist client keys. Views: the keys
/// must outlive the call they are passed to (they point into the batch's lookups).
struct RecordKeys {
  std::vector<std::string_view> triplets;
  std::vector<std::string_view> clients;
  /// Sorts both lists and drops repeats (many recipients of a message share a client).
  void deduplicate();
};

/// Rows to write, one per key. A batch's writes come sorted by key (RecordBatch): the
/// same order on every host, so two daemons writing the same rows of a shared database
/// cannot deadlock each other. Keys are views that must outlive the save() they go to.
struct Writes {
  std::vector<std::pair<std::string_view, TripletRecord>> triplets;
  std::vector<std::pair<std::string_view, ClientRecord>> clients;
  [[nodiscard]] bool empty() const { return triplets.empty() && clients.empty(); }
};

/// Rows found for a set of keys; a key that is absent was not in the store.
struct Records {
  template <typename Record>
  using Table = std::unordered_map<std::string, Record, StringHash, std::equal_to<>>;
  Table<TripletRecord> triplets;
  Table<ClientRecord> clients;
  // The store's own clock, for a store several hosts share: their clocks differ by a
  // little, the database's is one for all. Unset: the host's clock is used.
  std::optional<EpochSeconds> now;

  [[nodiscard]] const TripletRecord* triplet(std::string_view key) const { return find(triplets, key); }
  [[nodiscard]] const ClientRecord* client(std::string_view key) const { return find(clients, key); }

 private:
  template <typename Record>
  static const Record* find(const Table<Record>& table, std::string_view key) {
    if (table.empty()) return nullptr;  // a batch of new triplets: not even a hash
    auto found = table.find(key);
    return found == table.end() ? nullptr : &found->second;
  }
};

/// The records one batch works on: what the store loaded, updated by every write decided
/// so far, so that a later request of the batch sees what an earlier one did.
class RecordBatch {
 public:
  explicit RecordBatch(Records loaded) : records_(std::move(loaded)) {}

  [[nodiscard]] const Records& records() const { return records_; }
  void put_triplet(const std::string& key, const TripletRecord& record);
  void put_client(const std::string& key, const ClientRecord& record);

  /// The last value of every key written since construction, sorted by key; views into
  /// this batch, valid while it lives and is not written to.
  [[nodiscard]] Writes writes() const;

 private:
  Records records_;
  // The rows written, as pointers to their entries in records_ (stable in an unordered
  // map): no second copy or hash of a key per write.
  std::vector<const Records::Table<TripletRecord>::value_type*> written_triplets_;
  std::vector<const Records::Table<ClientRecord>::value_type*> written_clients_;
};

}  // namespace grayling
