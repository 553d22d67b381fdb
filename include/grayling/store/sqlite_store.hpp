#pragma once
/// The default Store: one SQLite file in WAL mode, owned by one thread of one daemon.

#include <memory>
#include <string>

#include "grayling/store/store.hpp"

namespace grayling {

/// Store in an SQLite database file. Statements are prepared once at open; keys are kept
/// as 64-bit digests (the first 8 bytes of SHA-1), which keeps the file small and lookups
/// on the integer primary key, and never writes a sender address to disk.
///
/// It looks after its file itself: it holds the instance lock (so a second daemon cannot
/// share the database), moves a corrupt file aside and starts a new one, and reopens
/// when the file is removed or replaced while in use. Each recovery is reported. A tool
/// working beside the daemon (StoreAccess::owner false) takes no lock and replaces
/// nothing: SQLite's own locking orders its transactions with the daemon's.
class SqliteStore final : public Store {
 public:
  /// Locks, opens or creates the database, migrating the schema if needed. Throws
  /// StoreError (another daemon holds the lock, the directory is unusable, ...).
  explicit SqliteStore(const std::string& path, SyncMode sync = SyncMode::full, StoreReporter report = {},
                       StoreAccess access = {});
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

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
  bool changed_elsewhere() override;
  StoreStats stats(const ExpiryCutoffs& cutoffs) override;
  std::size_t triplet_count() override;
  std::size_t client_count() override;
  void set_sync(SyncMode sync) override;

  /// The schema version this build writes (PRAGMA user_version).
  static constexpr int kSchemaVersion = 2;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The file that keeps a second daemon off the database at `path`: its name with the
/// extension replaced by ".lock" (grayling.db: grayling.lock), so that "rm grayling.db*"
/// leaves it alone.
[[nodiscard]] std::string sqlite_lock_path(const std::string& path);

}  // namespace grayling
