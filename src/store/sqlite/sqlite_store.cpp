#include "grayling/store/sqlite_store.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <algorithm>
#include <optional>

#include "grayling/store/row_ids.hpp"
#include "instance_lock.hpp"
#include "sqlite_handle.hpp"

namespace grayling {

namespace {

using SteadyClock = std::chrono::steady_clock;

// How often the file's identity is checked, and a failed reopen retried: rarely enough to
// cost nothing per batch, often enough that a deleted database is noticed within seconds.
constexpr auto kCheckInterval = std::chrono::seconds(2);

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

// Version 2: each row also keeps its key as text, so an administrator can list and read
// the greylist (grayling-admin list); with --privacy that text is the key's SHA-1 hex.
// Rows of version 1 get theirs when next written. Adding a nullable column rewrites
// nothing, so the migration is instant on any size of database.
constexpr std::string_view kSchemaV2 = R"sql(
ALTER TABLE triplets ADD COLUMN key TEXT;
ALTER TABLE clients ADD COLUMN key TEXT;
PRAGMA user_version = 2;
)sql";

std::pair<dev_t, ino_t> file_identity(const std::string& file) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) return {0, 0};
  return {info.st_dev, info.st_ino};
}

/// Renames a damaged database (and its -wal/-shm files) to PATH.corrupt-YYYYMMDD-HHMMSS
/// so a fresh one can be created in its place; returns the new name.
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

const char* synchronous_pragma(SyncMode sync) {
  return sync == SyncMode::full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL";
}

/// One open connection and its prepared statements; replaced whole on recovery.
struct Database {
  sqlite::Connection db;
  sqlite::Statement begin{db, "BEGIN IMMEDIATE"};
  sqlite::Statement commit{db, "COMMIT"};
  sqlite::Statement rollback{db, "ROLLBACK"};
  // A row is its own key's (row_belongs_to): another key of the same digest finds it
  // absent, and its write takes the row over. A version 1 row, keyless, is anyone's.
  sqlite::Statement find_triplet{
      db, "SELECT first_seen, last_seen, passed FROM triplets WHERE id = ?1 AND (key IS NULL OR key = ?2)"};
  sqlite::Statement put_triplet{db,
                                "INSERT INTO triplets (id, first_seen, last_seen, passed, key) "
                                "VALUES (?1, ?2, ?3, ?4, ?5) "
                                "ON CONFLICT (id) DO UPDATE SET first_seen = excluded.first_seen, "
                                "last_seen = excluded.last_seen, passed = excluded.passed, "
                                "key = coalesce(excluded.key, key)"};
  sqlite::Statement find_client{db, "SELECT count, last_seen FROM clients WHERE id = ?1 AND (key IS NULL OR key = ?2)"};
  sqlite::Statement put_client{db,
                               "INSERT INTO clients (id, count, last_seen, key) VALUES (?1, ?2, ?3, ?4) "
                               "ON CONFLICT (id) DO UPDATE SET count = excluded.count, last_seen = excluded.last_seen, "
                               "key = coalesce(excluded.key, key)"};
  sqlite::Statement expire_triplets{db,
                                    "DELETE FROM triplets WHERE id IN (SELECT id FROM triplets "
                                    "WHERE passed = ?1 AND last_seen < ?2 LIMIT ?3)"};
  sqlite::Statement expire_clients{db,
                                   "DELETE FROM clients WHERE id IN (SELECT id FROM clients "
                                   "WHERE last_seen < ?1 LIMIT ?2)"};
  sqlite::Statement triplet_page{db,
                                 "SELECT id, first_seen, last_seen, passed, key FROM triplets WHERE id >= ?1 "
                                 "ORDER BY id LIMIT ?2"};
  sqlite::Statement client_page{db,
                                "SELECT id, count, last_seen, key FROM clients WHERE id >= ?1 ORDER BY id LIMIT ?2"};
  // merged_record() in SQL (records.hpp): what both copies of a row know.
  sqlite::Statement merge_triplet{db,
                                  "INSERT INTO triplets (id, first_seen, last_seen, passed, key) "
                                  "VALUES (?1, ?2, ?3, ?4, ?5) "
                                  "ON CONFLICT (id) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen), "
                                  "last_seen = max(last_seen, excluded.last_seen), "
                                  "passed = max(passed, excluded.passed), key = coalesce(key, excluded.key)"};
  sqlite::Statement merge_client{db,
                                 "INSERT INTO clients (id, count, last_seen, key) VALUES (?1, ?2, ?3, ?4) "
                                 "ON CONFLICT (id) DO UPDATE SET count = max(count, excluded.count), "
                                 "last_seen = max(last_seen, excluded.last_seen), key = coalesce(key, excluded.key)"};
  sqlite::Statement remove_triplet{db, "DELETE FROM triplets WHERE id = ?1"};
  sqlite::Statement remove_client{db, "DELETE FROM clients WHERE id = ?1"};
  // Changes when another connection (grayling-admin) commits; never for our own commits.
  sqlite::Statement data_version{db, "PRAGMA data_version"};
  // The same stale rows as expire() finds: pending ones at the later of the two cutoffs.
  sqlite::Statement triplet_stats{db,
                                  "SELECT count(*) FILTER (WHERE passed = 0), count(*) FILTER (WHERE passed = 1), "
                                  "min(first_seen), count(*) FILTER (WHERE last_seen < ?1 OR "
                                  "(passed = 0 AND last_seen < ?2)) FROM triplets"};
  sqlite::Statement client_stats{db,
                                 "SELECT count(*), count(*) FILTER (WHERE last_seen < ?1), "
                                 "(SELECT page_count * page_size FROM pragma_page_count, pragma_page_size) FROM clients"};
  sqlite::Statement count_triplets{db, "SELECT COUNT(*) FROM triplets"};
  sqlite::Statement count_clients{db, "SELECT COUNT(*) FROM clients"};

  Database(const std::string& path, SyncMode sync) : db(open(path, sync)) {}

  [[nodiscard]] std::size_t changes() const { return static_cast<std::size_t>(sqlite3_changes(db.get())); }

  std::size_t expire_pass(bool passed, EpochSeconds before, std::size_t max_rows) {
    sqlite::ResetOnExit reset(expire_triplets);
    expire_triplets.bind(1, passed ? 1 : 0).bind(2, before).bind(3, static_cast<std::int64_t>(max_rows));
    expire_triplets.step();
    return changes();
  }

  static std::size_t count(sqlite::Statement& statement) {
    sqlite::ResetOnExit reset(statement);
    statement.step();
    return static_cast<std::size_t>(statement.column(0));
  }

  // Pragmas and schema come before any statement is prepared against the tables.
  static sqlite::Connection open(const std::string& path, SyncMode sync) {
    sqlite::Connection connection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
    // Reading the schema fails here, not later, when the file is not a database.
    const std::int64_t version = connection.query_int("PRAGMA user_version");
    if (version > SqliteStore::kSchemaVersion) {
      throw StoreError(fmt::format("{}: schema version {} is newer than this grayling understands ({})", path, version,
                                   SqliteStore::kSchemaVersion));
    }
    connection.execute("PRAGMA journal_mode = WAL");
    connection.execute(synchronous_pragma(sync));
    // Only this daemon writes (the lock file sees to that), but an admin's sqlite3 shell
    // may briefly hold a lock; ride that out rather than failing a batch.
    connection.execute("PRAGMA busy_timeout = 1000");
    // 16 MiB of page cache (SQLite's default is 2 MiB): the B-tree's upper levels and the
    // hot leaves stay in memory, so lookups in a large database rarely reach pread(2).
    connection.execute("PRAGMA cache_size = -16384");
    if (version < SqliteStore::kSchemaVersion) {
      // A new database goes through the same steps as an old one, so both end alike.
      connection.execute("BEGIN IMMEDIATE");
      try {
        // Another process may have migrated it while we waited for the lock.
        const std::int64_t locked_version = connection.query_int("PRAGMA user_version");
        if (locked_version < 1) connection.execute(kSchemaV1);
        if (locked_version < 2) connection.execute(kSchemaV2);
        connection.execute("COMMIT");
      } catch (...) {
        sqlite3_exec(connection.get(), "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
      }
    }
    return connection;
  }
};

}  // namespace

std::string sqlite_lock_path(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  const std::size_t dot = path.rfind('.');
  const bool has_extension = dot != std::string::npos && (slash == std::string::npos || dot > slash + 1);
  return (has_extension ? path.substr(0, dot) : path) + ".lock";
}

/// The file, the lock and the connection, and the rules for getting a usable one back.
struct SqliteStore::Impl {
  std::string path;
  SyncMode sync;
  StoreReporter report;
  StoreAccess access;
  std::optional<InstanceLock> lock;  // held by the daemon, not by a tool working beside it
  std::unique_ptr<Database> database;
  std::pair<dev_t, ino_t> identity{};
  bool corrupt = false;  // a statement found the file damaged: replace it at the next begin()
  // PRAGMA data_version as last seen; unset after an open, so a reopen counts as a change.
  std::optional<std::int64_t> data_version;
  SteadyClock::time_point next_check{};
  // The engine loads, then saves, the same keys in one batch: hash each once.
  RowIdCache row_ids;

  Impl(std::string path_, SyncMode sync_, StoreReporter report_, StoreAccess access_)
      : path(std::move(path_)), sync(sync_), report(std::move(report_)), access(access_) {
    if (access.owner) lock.emplace(sqlite_lock_path(path));
    if (!access.create && ::access(path.c_str(), F_OK) != 0) {
      throw StoreError(fmt::format("no database at {}: {}", path, std::strerror(errno)));
    }
    try {
      open();
    } catch (const sqlite::CorruptDatabase& e) {
      // A damaged file is the daemon's to replace; a tool only reports it.
      if (!access.owner) throw StoreError(fmt::format("database {} is corrupt: {}", path, e.what()));
      const std::string aside = move_database_aside(path);
      tell(Severity::critical,
           fmt::format("database {} is corrupt ({}); moved it to {} and started a new one", path, e.what(), aside));
      open();
    }
  }

  void tell(Severity severity, const std::string& message) const {
    if (report) report(severity, message);
  }

  void open() {
    database = std::make_unique<Database>(path, sync);
    data_version.reset();
    identity = file_identity(path);
    next_check = SteadyClock::now() + kCheckInterval;
  }

  /// Before each transaction: a usable database, recovered if it needs to be and can be.
  Database& usable() {
    const auto now = SteadyClock::now();
    if (database && corrupt && access.owner) {
      database.reset();
      corrupt = false;
      const std::string aside = move_database_aside(path);
      tell(Severity::critical, fmt::format("moved the corrupt database to {}; starting a new one (triplets are "
                                           "greylisted afresh)", aside));
      reopen("the database is corrupt");
    } else if (database && now >= next_check) {
      // A deleted or replaced file is invisible to SQLite: look now and then, not per batch.
      next_check = now + kCheckInterval;
      if (file_identity(path) != identity) {
        database.reset();
        reopen("the database file was removed or replaced while in use");
      }
    } else if (!database && now >= next_check) {
      reopen("retrying after an earlier failure");
    }
    if (!database) throw StoreError(fmt::format("no usable database at {} (retrying every {} s)", path, kCheckInterval.count()));
    return *database;
  }

  void reopen(const std::string& why) {
    next_check = SteadyClock::now() + kCheckInterval;
    tell(Severity::error, "reopening the store: " + why);
    try {
      if (lock) lock->reclaim_if_lost();  // if the lock file went with the database, a second daemon must still be kept out
      open();
      tell(Severity::warning, "store reopened; greylisting continues with what it holds");
    } catch (const std::exception& e) {
      database.reset();
      tell(Severity::error, std::string("cannot reopen the store: ") + e.what());
    }
  }

  Database& current() {
    if (!database) throw StoreError("no usable database at " + path);
    return *database;
  }

  /// Runs a statement step, noting corruption for the next begin() to deal with.
  template <typename Action>
  auto guarded(Action&& action) {
    try {
      return action(current());
    } catch (const sqlite::CorruptDatabase&) {
      corrupt = true;
      throw;
    }
  }
};

SqliteStore::SqliteStore(const std::string& path, SyncMode sync, StoreReporter report, StoreAccess access)
    : impl_(std::make_unique<Impl>(path, sync, std::move(report), access)) {}
SqliteStore::~SqliteStore() = default;

void SqliteStore::begin() {
  impl_->row_ids.clear();
  Database& database = impl_->usable();
  impl_->guarded([&](Database&) {
    sqlite::ResetOnExit reset(database.begin);
    database.begin.step();
  });
}

void SqliteStore::commit() {
  impl_->guarded([](Database& database) {
    sqlite::ResetOnExit reset(database.commit);
    database.commit.step();
  });
}

void SqliteStore::rollback() noexcept {
  if (!impl_->database) return;
  Database& database = *impl_->database;
  if (sqlite3_get_autocommit(database.db.get())) return;  // nothing open (SQLite may have rolled back itself)
  sqlite::ResetOnExit reset(database.rollback);
  database.rollback.step_noexcept();
}

Records SqliteStore::load(const RecordKeys& keys) {
  return impl_->guarded([&](Database& database) {
    Records found;
    for (const auto key : keys.triplets) {
      auto& statement = database.find_triplet;
      sqlite::ResetOnExit reset(statement);
      statement.bind(1, impl_->row_ids.loaded(key)).bind_text_or_null(2, key);
      if (statement.step()) {
        found.triplets.emplace(std::string(key),
                               TripletRecord{statement.column(0), statement.column(1), statement.column(2) != 0});
      }
    }
    for (const auto key : keys.clients) {
      auto& statement = database.find_client;
      sqlite::ResetOnExit reset(statement);
      statement.bind(1, impl_->row_ids.loaded(key)).bind_text_or_null(2, key);
      if (statement.step()) found.clients.emplace(std::string(key), ClientRecord{statement.column(0), statement.column(1)});
    }
    return found;
  });
}

void SqliteStore::save(const Writes& writes) {
  impl_->guarded([&](Database& database) {
    for (const auto& [key, record] : writes.triplets) {
      auto& statement = database.put_triplet;
      sqlite::ResetOnExit reset(statement);
      statement.bind(1, impl_->row_ids.saved(key)).bind(2, record.first_seen).bind(3, record.last_seen).bind(4, record.passed);
      statement.bind_text_or_null(5, key);
      statement.step();
    }
    for (const auto& [key, record] : writes.clients) {
      auto& statement = database.put_client;
      sqlite::ResetOnExit reset(statement);
      statement.bind(1, impl_->row_ids.saved(key)).bind(2, record.count).bind(3, record.last_seen);
      statement.bind_text_or_null(4, key);
      statement.step();
    }
  });
}

std::size_t SqliteStore::expire(const ExpiryCutoffs& cutoffs, std::size_t max_rows) {
  return impl_->guarded([&](Database& database) {
    // Pending rows go at whichever cutoff is later; both ranges are walks of the index.
    std::size_t removed =
        database.expire_pass(false, std::max(cutoffs.pending_before, cutoffs.max_age_before), max_rows);
    if (removed < max_rows) removed += database.expire_pass(true, cutoffs.max_age_before, max_rows - removed);
    if (removed < max_rows) {
      auto& statement = database.expire_clients;
      sqlite::ResetOnExit reset(statement);
      statement.bind(1, cutoffs.max_age_before).bind(2, static_cast<std::int64_t>(max_rows - removed));
      statement.step();
      removed += database.changes();
    }
    return removed;
  });
}

std::vector<TripletRow> SqliteStore::triplet_rows(std::int64_t from_id, std::size_t limit) {
  return impl_->guarded([&](Database& database) {
    std::vector<TripletRow> rows;
    auto& statement = database.triplet_page;
    sqlite::ResetOnExit reset(statement);
    statement.bind(1, from_id).bind(2, static_cast<std::int64_t>(limit));
    while (statement.step()) {
      rows.push_back({statement.column(0), {statement.column(1), statement.column(2), statement.column(3) != 0},
                      statement.column_text(4)});
    }
    return rows;
  });
}

std::vector<ClientRow> SqliteStore::client_rows(std::int64_t from_id, std::size_t limit) {
  return impl_->guarded([&](Database& database) {
    std::vector<ClientRow> rows;
    auto& statement = database.client_page;
    sqlite::ResetOnExit reset(statement);
    statement.bind(1, from_id).bind(2, static_cast<std::int64_t>(limit));
    while (statement.step()) {
      rows.push_back({statement.column(0), {statement.column(1), statement.column(2)}, statement.column_text(3)});
    }
    return rows;
  });
}

void SqliteStore::merge(const std::vector<TripletRow>& triplets, const std::vector<ClientRow>& clients) {
  impl_->guarded([&](Database& database) {
    for (const auto& [id, record, key] : triplets) {
      auto& statement = database.merge_triplet;
      sqlite::ResetOnExit reset(statement);
      statement.bind(1, id).bind(2, record.first_seen).bind(3, record.last_seen).bind(4, record.passed);
      statement.bind_text_or_null(5, key);
      statement.step();
    }
    for (const auto& [id, record, key] : clients) {
      auto& statement = database.merge_client;
      sqlite::ResetOnExit reset(statement);
      statement.bind(1, id).bind(2, record.count).bind(3, record.last_seen).bind_text_or_null(4, key);
      statement.step();
    }
  });
}

std::size_t SqliteStore::remove(const std::vector<std::int64_t>& triplet_ids,
                                const std::vector<std::int64_t>& client_ids) {
  return impl_->guarded([&](Database& database) {
    std::size_t removed = 0;
    auto remove_each = [&](sqlite::Statement& statement, const std::vector<std::int64_t>& ids) {
      for (const auto id : ids) {
        sqlite::ResetOnExit reset(statement);
        statement.bind(1, id).step();
        removed += database.changes();
      }
    };
    remove_each(database.remove_triplet, triplet_ids);
    remove_each(database.remove_client, client_ids);
    return removed;
  });
}

bool SqliteStore::changed_elsewhere() {
  if (!impl_->database) return false;  // a reopened database reports a change below
  return impl_->guarded([&](Database& database) {
    sqlite::ResetOnExit reset(database.data_version);
    database.data_version.step();
    const std::int64_t version = database.data_version.column(0);
    const bool changed = impl_->data_version != version;
    impl_->data_version = version;
    return changed;
  });
}

void SqliteStore::set_sync(SyncMode sync) {
  if (sync == impl_->sync) return;
  impl_->sync = sync;  // a reopened connection gets it too
  if (impl_->database) impl_->guarded([&](Database& database) { database.db.execute(synchronous_pragma(sync)); });
}

StoreStats SqliteStore::stats(const ExpiryCutoffs& cutoffs) {
  return impl_->guarded([&](Database& database) {
    StoreStats stats;
    {
      auto& statement = database.triplet_stats;
      sqlite::ResetOnExit reset(statement);
      statement.bind(1, cutoffs.max_age_before).bind(2, cutoffs.pending_before);
      statement.step();
      stats.pending = static_cast<std::size_t>(statement.column(0));
      stats.passed = static_cast<std::size_t>(statement.column(1));
      if (stats.pending + stats.passed > 0) stats.oldest = statement.column(2);
      stats.due_for_expiry = static_cast<std::size_t>(statement.column(3));
    }
    auto& statement = database.client_stats;
    sqlite::ResetOnExit reset(statement);
    statement.bind(1, cutoffs.max_age_before);
    statement.step();
    stats.clients = static_cast<std::size_t>(statement.column(0));
    stats.due_for_expiry += static_cast<std::size_t>(statement.column(1));
    // The database file's pages; the WAL beside it is checkpointed back into them.
    stats.bytes = static_cast<std::uint64_t>(statement.column(2));
    return stats;
  });
}

std::size_t SqliteStore::triplet_count() {
  return impl_->guarded([](Database& database) { return Database::count(database.count_triplets); });
}
std::size_t SqliteStore::client_count() {
  return impl_->guarded([](Database& database) { return Database::count(database.count_clients); });
}

}  // namespace grayling
