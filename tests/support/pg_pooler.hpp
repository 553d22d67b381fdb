#pragma once
/// A PostgreSQL connection pooler in miniature, for tests of what a pooler in transaction
/// mode (PgBouncer's pool_mode=transaction) does to a client's session. It listens on
/// 127.0.0.1, forwards every byte between each client and a PostgreSQL server on
/// 127.0.0.1, and between two of a client's round trips can
///  - give the client's next transaction a new server session, which has none of the
///    statements the client prepared in the old one (switch_sessions), or
///  - run a command on the client's server session, unseen by the client (run_between):
///    "DEALLOCATE ALL", as an administrator or a pooler's reset query would.
/// Plain POSIX, one thread per client; trust authentication only, no TLS (it answers a
/// client's SSLRequest with "no", as a server without TLS does).

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace grayling::test {

class PgPooler {
 public:
  /// Listens on a port of its own, for the server listening at 127.0.0.1:server_port.
  /// Throws std::system_error.
  explicit PgPooler(std::uint16_t server_port);
  /// Closes every connection, both sides.
  ~PgPooler();
  PgPooler(const PgPooler&) = delete;
  PgPooler& operator=(const PgPooler&) = delete;

  /// The port clients connect to, at 127.0.0.1.
  [[nodiscard]] std::uint16_t port() const { return port_; }

  /// From each client's next transaction on, a new server session serves it (the old one
  /// is closed): done when the client, outside a transaction, next sends something.
  void switch_sessions();
  /// Runs `sql` on each client's server session when the client next sends something
  /// after a complete round trip (inside a transaction or not), and discards its answer.
  void run_between(const std::string& sql);

  /// How many server sessions were opened so far (one per client, plus one per switch).
  [[nodiscard]] int sessions_opened() const { return sessions_opened_.load(); }
  /// How many times a run_between() command ran; its errors, if any, as the server said them.
  [[nodiscard]] int commands_run() const { return commands_run_.load(); }
  [[nodiscard]] std::vector<std::string> command_errors() const;

 private:
  /// What a client's thread has yet to do, at its next pause.
  struct Request {
    int switches = 0;  // switch_sessions() calls so far
    int commands = 0;  // run_between() calls so far
    std::string sql;   // the last run_between() command
  };

  void accept_clients();
  void serve(int client);
  [[nodiscard]] Request request() const;
  /// A new server session, started with the client's startup message; its own greeting
  /// (authentication, parameters, ReadyForQuery) read and dropped. -1 on failure.
  int open_session(const std::string& startup);
  /// Runs `sql` on `server` as a simple query, reading its answer up to ReadyForQuery.
  bool run_command(int server, const std::string& sql);
  void note_error(std::string error);

  std::uint16_t server_port_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  int wake_[2] = {-1, -1};  // a pipe: closing its write end tells every thread to end
  std::atomic<int> sessions_opened_{0};
  std::atomic<int> commands_run_{0};
  mutable std::mutex mutex_;
  Request requested_;
  std::vector<std::string> errors_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace grayling::test
