#include "support/sqlite_lock.hpp"

#include <sqlite3.h>

#include <stdexcept>

namespace grayling::test {

SqliteExclusiveLock::SqliteExclusiveLock(const std::string& path, std::chrono::milliseconds timeout) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw std::runtime_error("cannot open " + path + ": " + why);
  }
  sqlite3_busy_timeout(db_, static_cast<int>(timeout.count()));
  char* message = nullptr;
  if (sqlite3_exec(db_, "BEGIN EXCLUSIVE", nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string why = message ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw std::runtime_error("BEGIN EXCLUSIVE on " + path + ": " + why);
  }
}

SqliteExclusiveLock::~SqliteExclusiveLock() { release(); }

void SqliteExclusiveLock::release() {
  if (db_ == nullptr) return;
  sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close_v2(db_);
  db_ = nullptr;
}

}  // namespace grayling::test
