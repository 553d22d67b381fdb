#pragma once
/// A real PostgreSQL server for tests: a cluster of its own (initdb) in a private temporary
/// directory, listening on a free loopback port and on a unix socket in that directory,
/// with trust authentication. Driven through PostgreSQL's own programs (initdb, pg_ctl,
/// psql) run as child processes: plain POSIX, no libpq.
///
/// initdb refuses to run as root, so as root the server programs run as the user
/// `postgres` (or `nobody`) through runuser(1), owning the cluster's directories.
///
/// Whole-process effects of creating one:
/// - this process becomes a child subreaper (PR_SET_CHILD_SUBREAPER), so a postmaster
///   that stop() or kill_hard() ended is reaped here: a zombie would keep its lock file
///   "in use" and stop the next start();
/// - a watchdog process stops the server and removes its files should this process die
///   without running the destructor (a crash, an abort).

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace grayling::test {

class PostgresServer {
 public:
  /// The superuser role the cluster is created with.
  static constexpr const char* kAdmin = "grayling_admin";

  /// True if PostgreSQL's programs were found (the newest /usr/lib/postgresql/*/bin with
  /// initdb, else `pg_config --bindir`; psql; and runuser when running as root).
  [[nodiscard]] static bool available();
  /// What is missing when available() is false; empty otherwise.
  [[nodiscard]] static std::string unavailable_reason();
  /// True if $GRAYLING_PG_REQUIRED is set (and not "0"): a test without PostgreSQL must
  /// then fail instead of skipping.
  [[nodiscard]] static bool required();

  /// Creates the cluster and starts the server on a free port (another one if that port
  /// is taken meanwhile). Throws std::runtime_error, with the programs' output, on failure.
  PostgresServer();
  /// Stops the server at once (pg_ctl stop -m immediate) and removes all its files.
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  /// The TCP port the server listens on at 127.0.0.1; the same across stop() and start().
  [[nodiscard]] std::uint16_t port() const { return port_; }
  /// The directory of the server's unix socket (libpq's host= for a socket connection).
  [[nodiscard]] std::string socket_dir() const { return socket_dir_; }
  /// "postgresql://USER@127.0.0.1:PORT/DB", a libpq URI for `db` as `user`.
  [[nodiscard]] std::string uri(const std::string& db, const std::string& user = kAdmin) const;

  /// Runs `sql` in `db` as kAdmin through psql (unaligned, tuples only, stop on the first
  /// error) and returns its standard output less the final newline: "1" for SELECT 1,
  /// rows on separate lines, columns separated by '|'. Throws std::runtime_error with
  /// psql's error output on failure or after 60 s.
  std::string psql(const std::string& sql, const std::string& db = "postgres") const;

  /// Creates a fresh database `name` (dropped first if it exists) owned by a fresh LOGIN
  /// role `name`, which owns its public schema too; no other role but kAdmin may connect
  /// to it. The role has no other rights: not a superuser, no CREATEDB, no CREATEROLE.
  /// `name` must be a plain lower-case identifier ([a-z_][a-z0-9_]*).
  void create_database(const std::string& name);

  /// Stops the server cleanly (pg_ctl stop -m fast): connections are closed, committed
  /// data stays.
  void stop();
  /// Starts the stopped server again, on the same port. Throws if it does not come up.
  void start();
  /// stop(), then start().
  void restart();
  /// SIGKILLs the postmaster (as a crash would) and waits until it and its backends are
  /// gone. start() recovers the cluster from its WAL.
  void kill_hard();

  /// The server's log so far, for failure messages.
  [[nodiscard]] std::string log() const;

 private:
  /// Creates the data and socket directories and the log file, owned by the server's user.
  void prepare_directories();
  /// Runs initdb on the data directory.
  void init_cluster();
  /// The first start: try_start() on free ports until one is not taken meanwhile.
  void start_on_free_port();
  /// pg_ctl start on port_; false if the server failed because the port was taken,
  /// throws for any other failure.
  bool try_start();
  /// Runs pg_ctl stop in `mode` ("fast", "immediate") and reaps the postmaster.
  void stop_in_mode(const std::string& mode);
  /// Stops the server at once if it runs, then ends the watchdog, which removes the files.
  void shut_down() noexcept;
  /// Starts the watchdog: a process of its own session that, once this object or this
  /// whole process is gone, stops the server (if still running) and removes dir_.
  void start_watchdog();
  /// Wakes the watchdog to do its cleanup, and waits for it.
  void stop_watchdog() noexcept;
  /// The postmaster's pid from DATA/postmaster.pid; 0 if there is none.
  [[nodiscard]] pid_t postmaster_pid() const;
  /// `argv` prefixed, when running as root, with runuser to become the server's user.
  [[nodiscard]] std::vector<std::string> as_server_user(std::vector<std::string> argv) const;
  /// pg_ctl -D DATA `args`, as the server's user.
  [[nodiscard]] std::vector<std::string> pg_ctl(std::vector<std::string> args) const;
  /// Runs psql on `db` as kAdmin with one -c per command (each its own transaction);
  /// returns its standard output. Throws std::runtime_error with psql's errors.
  std::string run_psql(const std::string& db, const std::vector<std::string>& commands) const;

  TempDir dir_{"grayling-pg-"};
  std::string data_dir_;
  std::string socket_dir_;
  std::string log_path_;        // the server's log (pg_ctl -l)
  std::string tools_log_path_;  // initdb's and pg_ctl's own output
  std::uint16_t port_ = 0;
  bool running_ = false;
  pid_t watchdog_pid_ = -1;
  int watchdog_fd_ = -1;  // write end of the watchdog's stdin: closing it wakes the watchdog
};

}  // namespace grayling::test
