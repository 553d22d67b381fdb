#include "grayling/sqlite_store.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "grayling/sha1.hpp"
#include "sqlite_handle.hpp"

namespace grayling {

namespace {

// Version 1. Keys are 64-bit digests: rows stay ~40 bytes, so 10M triplets fit well under
// a gigabyte, and the primary key is SQLite's rowid (one B-tree, no separate key index).
// The (passed, last_seen) index lets expiry find stale rows without a table scan.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE triplets (
  id         INTEGER PRIMARY KEY,
  first_seen INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL,
  passed     INTEGER NOT NULL
);
CREATE INDEX triplets_expiry ON triplets (passed, last_seen);
CREATE TABLE clients (
  id        INTEGER PRIMARY KEY,
  count     INTEGER NOT NULL,
  last_seen INTEGER NOT NULL
);
CREATE INDEX clients_expiry ON clients (last_seen);
PRAGMA user_version = 1;
)sql";

}  // namespace

std::int64_t store_key_digest(std::string_view key) {
  const Sha1Digest digest = sha1(key);
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | digest[i];
  return static_cast<std::int64_t>(value);
}

struct SqliteStore::Impl {
  sqlite::Connection db;
  sqlite::Statement begin{db, "BEGIN IMMEDIATE"};
  sqlite::Statement commit{db, "COMMIT"};
  sqlite::Statement rollback{db, "ROLLBACK"};
  sqlite::Statement find_triplet{db, "SELECT first_seen, last_seen, passed FROM triplets WHERE id = ?1"};
  sqlite::Statement put_triplet{db,
                                "INSERT INTO triplets (id, first_seen, last_seen, passed) VALUES (?1, ?2, ?3, ?4) "
                                "ON CONFLICT (id) DO UPDATE SET first_seen = excluded.first_seen, "
                                "last_seen = excluded.last_seen, passed = excluded.passed"};
  sqlite::Statement find_client{db, "SELECT count, last_seen FROM clients WHERE id = ?1"};
  sqlite::Statement put_client{db,
                               "INSERT INTO clients (id, count, last_seen) VALUES (?1, ?2, ?3) "
                               "ON CONFLICT (id) DO UPDATE SET count = excluded.count, last_seen = excluded.last_seen"};
  sqlite::Statement expire_triplets{db,
                                    "DELETE FROM triplets WHERE id IN (SELECT id FROM triplets "
                                    "WHERE passed = ?1 AND last_seen < ?2 LIMIT ?3)"};
  sqlite::Statement expire_clients{db,
                                   "DELETE FROM clients WHERE id IN (SELECT id FROM clients "
                                   "WHERE last_seen < ?1 LIMIT ?2)"};
  sqlite::Statement count_triplets{db, "SELECT COUNT(*) FROM triplets"};
  sqlite::Statement count_clients{db, "SELECT COUNT(*) FROM clients"};

  Impl(const std::string& path_, SyncMode sync) : db(open_database(path_, sync)), path(path_) {
    identity = file_identity(path);
  }

  std::string path;
  std::pair<dev_t, ino_t> identity{};
  std::string digest_key;  // the engine finds, then puts, the same key: hash it once
  std::int64_t digest_value = 0;

  std::int64_t digest(std::string_view key) {
    if (key != digest_key) {
      digest_key.assign(key);
      digest_value = store_key_digest(key);
    }
    return digest_value;
  }

  static std::pair<dev_t, ino_t> file_identity(const std::string& file) {
    struct stat info {};
    if (::stat(file.c_str(), &info) != 0) return {0, 0};
    return {info.st_dev, info.st_ino};
  }

  [[nodiscard]] std::size_t changes() const { return static_cast<std::size_t>(sqlite3_changes(db.get())); }

  std::size_t expire_pass(bool passed, EpochSeconds before, std::size_t max_rows) {
    sqlite::ResetOnExit reset(expire_triplets);
    expire_triplets.bind(1, passed ? 1 : 0).bind(2, before).bind(3, static_cast<std::int64_t>(max_rows));
    expire_triplets.step();
    return changes();
  }

  std::size_t count(sqlite::Statement& statement) {
    sqlite::ResetOnExit reset(statement);
    statement.step();
    return static_cast<std::size_t>(statement.column(0));
  }

  // Pragmas and schema come before any statement is prepared against the tables.
  static sqlite::Connection open_database(const std::string& path, SyncMode sync) {
    sqlite::Connection connection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
    // Reading the schema fails here, not later, when the file is not a database.
    const std::int64_t version = connection.query_int("PRAGMA user_version");
    if (version > kSchemaVersion) {
      throw StoreError(fmt::format("{}: schema version {} is newer than this grayling understands ({})", path, version,
                                   kSchemaVersion));
    }
    connection.execute("PRAGMA journal_mode = WAL");
    connection.execute(sync == SyncMode::full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    // Only this daemon writes (dbdir is locked), but an admin's sqlite3 shell may briefly
    // hold a lock; ride that out rather than failing a batch.
    connection.execute("PRAGMA busy_timeout = 1000");
    // 16 MiB of page cache (SQLite's default is 2 MiB): the B-tree's upper levels and the
    // hot leaves stay in memory, so lookups in a large database rarely reach pread(2).
    connection.execute("PRAGMA cache_size = -16384");
    if (version == 0) {
      connection.execute("BEGIN IMMEDIATE");
      try {
        connection.execute(kSchemaV1);
        connection.execute("COMMIT");
      } catch (...) {
        sqlite3_exec(connection.get(), "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
      }
    }
    return connection;
  }
};

SqliteStore::SqliteStore(const std::string& path, SyncMode sync) : impl_(std::make_unique<Impl>(path, sync)) {}
SqliteStore::~SqliteStore() = default;

void SqliteStore::begin() {
  sqlite::ResetOnExit reset(impl_->begin);
  impl_->begin.step();
}

void SqliteStore::commit() {
  sqlite::ResetOnExit reset(impl_->commit);
  impl_->commit.step();
}

void SqliteStore::rollback() noexcept {
  if (sqlite3_get_autocommit(impl_->db.get())) return;  // nothing open (SQLite may have rolled back itself)
  sqlite::ResetOnExit reset(impl_->rollback);
  impl_->rollback.step_noexcept();
}

std::optional<TripletRecord> SqliteStore::find_triplet(std::string_view key) {
  auto& statement = impl_->find_triplet;
  sqlite::ResetOnExit reset(statement);
  statement.bind(1, impl_->digest(key));
  if (!statement.step()) return std::nullopt;
  return TripletRecord{statement.column(0), statement.column(1), statement.column(2) != 0};
}

void SqliteStore::put_triplet(std::string_view key, const TripletRecord& record) {
  auto& statement = impl_->put_triplet;
  sqlite::ResetOnExit reset(statement);
  statement.bind(1, impl_->digest(key)).bind(2, record.first_seen).bind(3, record.last_seen).bind(4, record.passed);
  statement.step();
}

std::optional<ClientRecord> SqliteStore::find_client(std::string_view key) {
  auto& statement = impl_->find_client;
  sqlite::ResetOnExit reset(statement);
  statement.bind(1, impl_->digest(key));
  if (!statement.step()) return std::nullopt;
  return ClientRecord{statement.column(0), statement.column(1)};
}

void SqliteStore::put_client(std::string_view key, const ClientRecord& record) {
  auto& statement = impl_->put_client;
  sqlite::ResetOnExit reset(statement);
  statement.bind(1, impl_->digest(key)).bind(2, record.count).bind(3, record.last_seen);
  statement.step();
}

std::size_t SqliteStore::expire(const ExpiryCutoffs& cutoffs, std::size_t max_rows) {
  // Pending rows go at whichever cutoff is later; both ranges are walks of the index.
  std::size_t removed = impl_->expire_pass(false, std::max(cutoffs.pending_before, cutoffs.max_age_before), max_rows);
  if (removed < max_rows) removed += impl_->expire_pass(true, cutoffs.max_age_before, max_rows - removed);
  if (removed < max_rows) {
    auto& statement = impl_->expire_clients;
    sqlite::ResetOnExit reset(statement);
    statement.bind(1, cutoffs.max_age_before).bind(2, static_cast<std::int64_t>(max_rows - removed));
    statement.step();
    removed += impl_->changes();
  }
  return removed;
}

bool SqliteStore::is_current() {
  return Impl::file_identity(impl_->path) == impl_->identity;
}

std::string move_database_aside(const std::string& path) {
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &local);
  const std::string aside = path + ".corrupt-" + stamp;
  if (std::rename(path.c_str(), aside.c_str()) != 0 && errno != ENOENT) {
    throw StoreError(fmt::format("cannot move {} aside: {}", path, std::strerror(errno)));
  }
  std::rename((path + "-wal").c_str(), (aside + "-wal").c_str());
  std::remove((path + "-shm").c_str());  // derived from the WAL; never worth keeping
  return aside;
}

std::size_t SqliteStore::triplet_count() { return impl_->count(impl_->count_triplets); }
std::size_t SqliteStore::client_count() { return impl_->count(impl_->count_clients); }

}  // namespace grayling
