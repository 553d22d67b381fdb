#pragma once
/// The storage contract: a tiny synchronous interface used by one thread at a time.
///
/// The decision service owns the only store object and calls it from its store thread; the
/// engine reads and writes through it inside a transaction the service opens per batch.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

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

/// How hard a commit works to be durable (for SQLite, PRAGMA synchronous).
enum class SyncMode {
  full,    // fsync the WAL on every commit: survives power loss
  normal,  // WAL write without fsync: survives a daemon crash (even kill -9), not power loss
};

/// Which rows are stale: triplets and clients not seen since `max_age_before`, and
/// triplets that never passed and were not retried since `pending_before`.
struct ExpiryCutoffs {
  EpochSeconds max_age_before = 0;
  EpochSeconds pending_before = 0;
};

/// Any failure of the storage medium (I/O, corruption, full disk, lock timeout).
class StoreError : public std::runtime_error {
 public:
  explicit StoreError(const std::string& message, bool corrupt = false)
      : std::runtime_error(message), corrupt_(corrupt) {}
  /// The data itself is damaged: retrying will not help, a new database will.
  [[nodiscard]] bool corrupt() const { return corrupt_; }

 private:
  bool corrupt_;
};

/// Triplet and client tables behind begin/commit. Methods throw StoreError on failure.
class Store {
 public:
  virtual ~Store() = default;

  virtual void begin() = 0;
  /// Makes everything since begin() durable; returns only once it is.
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;

  virtual std::optional<TripletRecord> find_triplet(std::string_view key) = 0;
  virtual void put_triplet(std::string_view key, const TripletRecord& record) = 0;

  virtual std::optional<ClientRecord> find_client(std::string_view key) = 0;
  virtual void put_client(std::string_view key, const ClientRecord& record) = 0;

  /// Deletes at most `max_rows` stale rows (triplets first, then clients); returns how
  /// many went. Callers loop in separate transactions so no batch holds the store long.
  virtual std::size_t expire(const ExpiryCutoffs& cutoffs, std::size_t max_rows) = 0;

  virtual std::size_t triplet_count() = 0;
  virtual std::size_t client_count() = 0;

  /// False when the storage behind this object was removed or replaced while in use
  /// (an admin deleted the file): writes would go nowhere, so it should be reopened.
  virtual bool is_current() { return true; }
};

}  // namespace grayling
