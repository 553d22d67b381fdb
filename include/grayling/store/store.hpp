#pragma once
/// The storage contract: a small synchronous interface used by one thread at a time.
///
/// The decision service owns the only store object and calls it from its store thread. A
/// batch of requests is one transaction and, for a networked store, one round trip: load
/// every record the batch needs, let the engine decide, save every write, commit.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "grayling/core/records.hpp"

namespace grayling {

/// How hard a commit works to be durable (for SQLite, PRAGMA synchronous).
enum class SyncMode {
  full,    // fsync on every commit: survives power loss
  normal,  // write without fsync: survives a daemon crash (even kill -9), not power loss
};

/// Any failure of the storage medium (I/O, corruption, full disk, lock timeout, network).
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Two writers wanted the same rows at once and the database gave up one transaction
/// (a serialization failure or a deadlock), or it failed for some other reason its next
/// run will not meet (PostgreSQL lost the statements the store had prepared): the whole
/// batch may simply be run again.
class StoreConflict : public StoreError {
 public:
  using StoreError::StoreError;
};

/// How loudly a backend's report should be logged.
enum class Severity { warning, error, critical };

/// Where a backend reports what it recovered from by itself (a corrupt database moved
/// aside, a deleted one recreated, a lost connection restored): the administrator must
/// hear of it, though no request failed.
using StoreReporter = std::function<void(Severity, const std::string&)>;

/// Who opens a store, and so what it may do to it.
struct StoreAccess {
  // The daemon owns its store: it keeps other daemons off a store that is its alone, and
  // recovers it by itself (a corrupt file moved aside). A tool that works beside a
  // running daemon (grayling-admin) does neither: what it cannot use is an error.
  bool owner = true;
  // Create the store if there is none; a tool that only reads says no.
  bool create = true;
};

/// A row as every backend files it: the digest of its key (store_key_digest), its record,
/// and the key itself, kept so an administrator can read what a row is about (with
/// --privacy the key is already a SHA-1 hex digest). Rows written before keys were kept
/// (schema 1) have an empty key until the daemon next writes them. Rows move between
/// stores in this form (grayling-admin export and import).
struct TripletRow {
  std::int64_t id = 0;
  TripletRecord record;
  std::string key;
  friend bool operator==(const TripletRow&, const TripletRow&) = default;
};
struct ClientRow {
  std::int64_t id = 0;
  ClientRecord record;
  std::string key;
  friend bool operator==(const ClientRow&, const ClientRow&) = default;
};

/// What a store holds, for the administrator (grayling-admin stats).
struct StoreStats {
  std::size_t pending = 0;  // triplets greylisted, not yet passed
  std::size_t passed = 0;   // triplets that passed at least once
  std::size_t clients = 0;  // auto-whitelist counters
  std::optional<EpochSeconds> oldest;  // the earliest first sighting of any triplet
  std::size_t due_for_expiry = 0;      // rows the next expiry run would delete
  std::optional<std::uint64_t> bytes;  // space the store takes, where it can tell
  friend bool operator==(const StoreStats&, const StoreStats&) = default;
};

/// How often a running daemon asks its store changed_elsewhere() at the least: a tool
/// that changed rows waits a little longer than this before it says it is done, so that
/// by then no daemon passes a deleted triplet from its cache.
inline constexpr std::chrono::milliseconds kChangePollInterval{50};

/// Triplet and client tables behind begin/commit. Methods throw StoreError on failure;
/// a backend recovers from what it can (a reopened file, a reconnection) by itself, at
/// its next begin().
class Store {
 public:
  virtual ~Store() = default;

  virtual void begin() = 0;
  /// Makes everything since begin() durable; returns only once it is.
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;

  /// The stored rows for `keys`; keys without a row are absent from the result.
  [[nodiscard]] virtual Records load(const RecordKeys& keys) = 0;
  /// Inserts or replaces each row.
  virtual void save(const Writes& writes) = 0;

  /// Commits, then begins the next transaction and loads `next` in it: for a networked
  /// store in one round trip, so that under load a batch costs one round trip, not two.
  /// Throws like commit() if the commit failed (nothing of the next transaction then
  /// happened). Returns nullopt if the commit succeeded but the next transaction could
  /// not begin or load: it is rolled back, and the caller starts it afresh.
  [[nodiscard]] virtual std::optional<Records> commit_and_load(const RecordKeys& next);

  /// Deletes at most `max_rows` stale rows (triplets first, then clients); returns how
  /// many went. Callers loop in separate transactions so no batch holds the store long.
  virtual std::size_t expire(const ExpiryCutoffs& cutoffs, std::size_t max_rows) = 0;

  /// Up to `limit` rows with an id of at least `from_id`, in id order: a page of a walk
  /// through the whole table that holds nothing locked between pages.
  [[nodiscard]] virtual std::vector<TripletRow> triplet_rows(std::int64_t from_id, std::size_t limit) = 0;
  [[nodiscard]] virtual std::vector<ClientRow> client_rows(std::int64_t from_id, std::size_t limit) = 0;

  /// Merges rows into the open transaction: an id not stored is inserted; a stored one
  /// becomes merged_record(stored, given) (records.hpp) and keeps its key, or takes the
  /// given one if it had none. Merging the same rows twice changes nothing, and a row a
  /// daemon updated meanwhile loses nothing. Running daemons hear of it (changed_elsewhere).
  virtual void merge(const std::vector<TripletRow>& triplets, const std::vector<ClientRow>& clients) = 0;

  /// Deletes rows by id in the open transaction; returns how many were there. Running
  /// daemons hear of it (changed_elsewhere), so none keeps passing a deleted triplet.
  virtual std::size_t remove(const std::vector<std::int64_t>& triplet_ids,
                             const std::vector<std::int64_t>& client_ids) = 0;

  /// True when another process (grayling-admin) merged or removed rows since the last
  /// call, or when that cannot be known (a reconnection): the daemon then forgets the
  /// passes it cached. Cheap enough to call twenty times a second: no round trip.
  [[nodiscard]] virtual bool changed_elsewhere() { return false; }

  /// Counts by state, and the rows stale by `cutoffs` (as expire() sees them). One read,
  /// outside any transaction of the caller's.
  [[nodiscard]] virtual StoreStats stats(const ExpiryCutoffs& cutoffs) = 0;

  [[nodiscard]] virtual std::size_t triplet_count() = 0;
  [[nodiscard]] virtual std::size_t client_count() = 0;

  /// Durability from the next transaction on (a reload may change it).
  virtual void set_sync(SyncMode) {}

  /// How long a pass may be repeated from the I/O thread's cache without asking the
  /// store. Unlimited for a store only this daemon writes; a shared store bounds it, so a
  /// triplet deleted by another host stops passing here within that time.
  [[nodiscard]] virtual std::optional<EpochSeconds> pass_cache_seconds() const { return std::nullopt; }
};

}  // namespace grayling
