#include "sqlite_handle.hpp"

#include <fmt/format.h>

namespace grayling::sqlite {

void throw_error(sqlite3* db, std::string_view what) {
  const char* file = db ? sqlite3_db_filename(db, "main") : nullptr;
  const int primary = db ? (sqlite3_extended_errcode(db) & 0xff) : SQLITE_NOMEM;
  const bool corrupt = primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB;
  std::string message = fmt::format("{}: {} (sqlite error {}{}{})", what, db ? sqlite3_errmsg(db) : "out of memory",
                                    db ? sqlite3_extended_errcode(db) : SQLITE_NOMEM, file && *file ? ", " : "",
                                    file ? file : "");
  if (corrupt) throw CorruptDatabase(message);
  throw StoreError(message);
}

Connection::Connection(const std::string& path, int flags) {
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string message = fmt::format("cannot open database {}: {}", path, db_ ? sqlite3_errmsg(db_) : "out of memory");
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw StoreError(message);
  }
  sqlite3_extended_result_codes(db_, 1);
}

void Connection::execute(std::string_view sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    const int primary = sqlite3_extended_errcode(db_) & 0xff;
    if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) throw CorruptDatabase(fmt::format("{}: {}", sql, text));
    throw StoreError(fmt::format("{}: {}", sql, text));
  }
}

std::int64_t Connection::query_int(std::string_view sql) {
  Statement statement(*this, sql);
  if (!statement.step()) throw StoreError(fmt::format("{}: no row", sql));
  return statement.column(0);
}

Statement::Statement(Connection& connection, std::string_view sql) {
  if (sqlite3_prepare_v3(connection.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &statement_, nullptr) != SQLITE_OK) {
    throw_error(connection.get(), fmt::format("cannot prepare \"{}\"", sql));
  }
}

Statement& Statement::bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(statement_, index, value) != SQLITE_OK) throw_error(sqlite3_db_handle(statement_), "bind");
  return *this;
}

Statement& Statement::bind_text_or_null(int index, std::string_view value) {
  const int result = value.empty() ? sqlite3_bind_null(statement_, index)
                                   : sqlite3_bind_text(statement_, index, value.data(), static_cast<int>(value.size()),
                                                       SQLITE_STATIC);
  if (result != SQLITE_OK) throw_error(sqlite3_db_handle(statement_), "bind");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw_error(sqlite3_db_handle(statement_), sqlite3_sql(statement_));
}

}  // namespace grayling::sqlite
