#pragma once
// Minimal RAII over libpq for the PostgreSQL store: one connection, and a round trip that
// sends a list of statements in one pipeline and waits, with a deadline, for all their
// results. Internal to the backend: nothing outside src/store/postgresql includes libpq.

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "grayling/store/store.hpp"

namespace grayling::pg {

/// A failure talking to PostgreSQL. `sqlstate` is the server's code when it gave one
/// (40001 serialization failure, 40P01 deadlock, ...); `connection_lost` says the
/// connection is unusable and must be made again.
class Error : public StoreError {
 public:
  Error(const std::string& message, std::string sqlstate, bool connection_lost)
      : StoreError(message), sqlstate_(std::move(sqlstate)), connection_lost_(connection_lost) {}
  [[nodiscard]] const std::string& sqlstate() const { return sqlstate_; }
  [[nodiscard]] bool connection_lost() const { return connection_lost_; }
  /// Which statement of the round trip failed (its index), if the server said so.
  [[nodiscard]] std::optional<std::size_t> statement() const { return statement_; }
  void set_statement(std::size_t index) { statement_ = index; }

 private:
  std::string sqlstate_;
  bool connection_lost_;
  std::optional<std::size_t> statement_;
};

/// One statement of a round trip: SQL with $1.. placeholders and their values as text.
struct Statement {
  std::string sql;
  std::vector<std::string> params;
};

/// A result set; rows and columns as text, as PostgreSQL sent them.
class Result {
 public:
  explicit Result(PGresult* result) : result_(result, PQclear) {}
  [[nodiscard]] int rows() const { return PQntuples(result_.get()); }
  [[nodiscard]] std::string_view text(int row, int column) const {
    return {PQgetvalue(result_.get(), row, column),
            static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
  }
  [[nodiscard]] std::int64_t integer(int row, int column) const;
  [[nodiscard]] bool boolean(int row, int column) const { return text(row, column) == "t"; }

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> result_;
};

/// An open connection. Every round trip is bounded by a deadline; a connection that
/// misses one, or breaks, is closed and reports connection_lost.
class Connection {
 public:
  /// Connects (libpq URI or keyword string; passwords from it, ~/.pgpass or PGPASSFILE).
  /// Throws Error.
  explicit Connection(const std::string& conninfo);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Whether a statement is prepared (parsed and planned) once per connection and then
  /// only executed, or sent whole each time (for one-off statements: the schema's).
  enum class Preparation { cached, none };

  /// Sends `statements` in one pipeline and returns one Result per statement, in order.
  /// If any fails, reads everything the server sent (so the connection stays in step) and
  /// throws the first failure.
  ///
  /// A server session can lose the statements prepared in it (DEALLOCATE ALL, or a
  /// pooler in transaction mode that serves the next transaction from another session):
  /// executing one then fails with kStatementsLost. They are forgotten, and prepared
  /// again when next used; if nothing had run yet (the first statement failed, outside a
  /// transaction) the pipeline is sent again at once. Otherwise the error is thrown.
  std::vector<Result> run(const std::vector<Statement>& statements, std::chrono::milliseconds timeout,
                          Preparation preparation = Preparation::cached);

  /// True if a notification (LISTEN) arrived: one read with earlier results, or, with
  /// `read_socket`, one waiting on the socket (read without waiting; only between
  /// transactions). Throws Error if the connection turns out to be lost.
  bool notified(bool read_socket);

  [[nodiscard]] bool usable() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }
  /// Where we are connected, for log lines: host:port/database.
  [[nodiscard]] std::string describe() const;

 private:
  /// Waits until the socket is ready for `events` or the deadline passes.
  void wait(short events, std::chrono::steady_clock::time_point deadline);
  /// The next result of the pipeline (nullptr: the end of one statement's results).
  PGresult* next_result(std::chrono::steady_clock::time_point deadline);
  [[noreturn]] void lost(const std::string& what);
  /// One pipeline, as run() describes, without its second attempt.
  std::vector<Result> run_once(const std::vector<Statement>& statements, std::chrono::milliseconds timeout,
                               Preparation preparation);

  PGconn* conn_ = nullptr;
  std::unordered_map<std::string, std::string> prepared_;  // SQL -> its prepared statement's name
  // Names are never used twice on one connection, so a statement prepared again cannot
  // meet its old self; the prefix is this connection's own, so that behind a pooler, on a
  // server session another client prepared statements in, none of theirs is taken for ours.
  std::string name_prefix_;
  std::uint64_t names_used_ = 0;
};

/// SQLSTATE invalid_sql_statement_name: a prepared statement the server does not have.
inline constexpr const char* kStatementsLost = "26000";

/// "{1,2,3}": a bigint[] parameter.
[[nodiscard]] std::string array_literal(const std::vector<std::int64_t>& values);
/// "{t,f}": a boolean[] parameter.
[[nodiscard]] std::string array_literal(const std::vector<bool>& values);
/// "{6162,NULL}": a text[] parameter of hex strings, for decode(..., 'hex') into bytea;
/// an empty value is NULL. Keys go as bytes: they need not be valid UTF-8.
[[nodiscard]] std::string hex_array_literal(const std::vector<std::string_view>& values);
/// The bytes of a hex string as encode(..., 'hex') sends them.
[[nodiscard]] std::string from_hex(std::string_view hex);
/// Whether `hex`, as encode(..., 'hex') sends it, spells `bytes`.
[[nodiscard]] bool hex_spells(std::string_view hex, std::string_view bytes);

}  // namespace grayling::pg
