#pragma once
/// The default Store: one SQLite file in WAL mode, owned by one thread.

#include <memory>
#include <string>

#include "grayling/store.hpp"

namespace grayling {

/// Store in an SQLite database file. Statements are prepared once at open; keys are kept
/// as 64-bit digests (the first 8 bytes of SHA-1), which keeps the file small and lookups
/// on the integer primary key, and never writes a sender address to disk.
class SqliteStore final : public Store {
 public:
  /// Opens or creates the database, migrating the schema if needed. Throws StoreError.
  explicit SqliteStore(const std::string& path, SyncMode sync = SyncMode::full);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  void begin() override;
  void commit() override;
  void rollback() noexcept override;
  std::optional<TripletRecord> find_triplet(std::string_view key) override;
  void put_triplet(std::string_view key, const TripletRecord& record) override;
  std::optional<ClientRecord> find_client(std::string_view key) override;
  void put_client(std::string_view key, const ClientRecord& record) override;
  std::size_t expire(const ExpiryCutoffs& cutoffs, std::size_t max_rows) override;
  std::size_t triplet_count() override;
  std::size_t client_count() override;
  bool is_current() override;

  /// The schema version this build writes (PRAGMA user_version).
  static constexpr int kSchemaVersion = 1;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Renames a damaged database (and its -wal/-shm files) to PATH.corrupt-YYYYMMDD-HHMMSS so a
/// fresh one can be created in its place; returns the new name. Throws StoreError.
std::string move_database_aside(const std::string& path);

/// The 64-bit digest under which SqliteStore files a key.
[[nodiscard]] std::int64_t store_key_digest(std::string_view key);

}  // namespace grayling
