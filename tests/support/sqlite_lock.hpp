#pragma once
/// Another process's hold on a daemon's SQLite database, as an admin's sqlite3 shell would
/// take it: a connection of this (test) process with an open BEGIN EXCLUSIVE transaction.

#include <chrono>
#include <string>

struct sqlite3;

namespace grayling::test {

using namespace std::chrono_literals;

class SqliteExclusiveLock {
 public:
  /// Opens `path` (which must exist) and runs BEGIN EXCLUSIVE, waiting up to `timeout`
  /// for a lock the daemon holds in passing. Throws std::runtime_error on failure.
  explicit SqliteExclusiveLock(const std::string& path, std::chrono::milliseconds timeout = 5s);
  /// Releases the lock (ROLLBACK) and closes the connection, if not done already.
  ~SqliteExclusiveLock();
  SqliteExclusiveLock(const SqliteExclusiveLock&) = delete;
  SqliteExclusiveLock& operator=(const SqliteExclusiveLock&) = delete;

  /// Ends the transaction and closes the connection now.
  void release();

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace grayling::test
