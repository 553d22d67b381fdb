#pragma once
/// Minimal RAII over the SQLite C API: a connection and a move-only prepared statement.
/// Internal to the SQLite backend; nothing outside src/store/sqlite includes sqlite3.h.

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "grayling/store/store.hpp"

namespace grayling::sqlite {

/// The database file is damaged: retrying will not help, a new database will.
class CorruptDatabase : public StoreError {
 public:
  using StoreError::StoreError;
};

/// Throws StoreError (CorruptDatabase when the file is damaged) carrying SQLite's message for `db`.
[[noreturn]] void throw_error(sqlite3* db, std::string_view what);

/// An open database connection; closes on destruction.
class Connection {
 public:
  Connection(const std::string& path, int flags);
  ~Connection() { sqlite3_close_v2(db_); }
  Connection(Connection&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  Connection& operator=(Connection&&) = delete;

  /// Runs SQL that returns no rows we need.
  void execute(std::string_view sql);
  /// Runs a query returning one integer (PRAGMA user_version, COUNT(*), ...).
  std::int64_t query_int(std::string_view sql);

  [[nodiscard]] sqlite3* get() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

/// A prepared statement, prepared once and reused; reset() makes it ready again.
class Statement {
 public:
  Statement(Connection& connection, std::string_view sql);
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(Statement&& other) noexcept : statement_(std::exchange(other.statement_, nullptr)) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;

  Statement& bind(int index, std::int64_t value);
  /// Binds text (SQLITE_STATIC: it must live until the step), or NULL when empty.
  Statement& bind_text_or_null(int index, std::string_view value);
  /// Advances; true when a row is available, false when done. Throws StoreError.
  bool step();
  /// Steps without throwing; for cleanup paths. Returns SQLite's result code.
  int step_noexcept() noexcept { return sqlite3_step(statement_); }
  [[nodiscard]] std::int64_t column(int index) const { return sqlite3_column_int64(statement_, index); }
  /// A text column; NULL reads as empty.
  [[nodiscard]] std::string column_text(int index) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement_, index));
    return text ? std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(statement_, index))) : std::string();
  }
  void reset() noexcept {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }

 private:
  sqlite3_stmt* statement_ = nullptr;
};

/// Resets a statement when a scope ends, so an exception never leaves it mid-step
/// (a statement left mid-step would keep a read transaction open).
class ResetOnExit {
 public:
  explicit ResetOnExit(Statement& statement) : statement_(statement) {}
  ~ResetOnExit() { statement_.reset(); }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  Statement& statement_;
};

}  // namespace grayling::sqlite
