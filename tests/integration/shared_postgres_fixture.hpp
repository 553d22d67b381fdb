#pragma once
/// Two grayling daemons, as on two MX hosts, sharing one database on the test process's
/// own PostgreSQL server (tests/support/postgres_server.hpp): each test gets a database of
/// its own, reached as its own unprivileged role. Without PostgreSQL installed the tests
/// skip, unless GRAYLING_PG_REQUIRED=1 makes that a failure.

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "daemon_fixture.hpp"
#include "support/postgres_server.hpp"

namespace grayling::test {

// In a test or SetUp(): skips without PostgreSQL, or fails if GRAYLING_PG_REQUIRED is set.
#define SKIP_WITHOUT_POSTGRES()                                                          \
  do {                                                                                   \
    if (!PostgresServer::available()) {                                                  \
      if (PostgresServer::required()) {                                                  \
        FAIL() << "GRAYLING_PG_REQUIRED is set, but " << PostgresServer::unavailable_reason(); \
      }                                                                                  \
      GTEST_SKIP() << PostgresServer::unavailable_reason();                              \
    }                                                                                    \
  } while (false)

/// The PostgreSQL server of this test process, started on first use.
inline PostgresServer& postgres_server() {
  static PostgresServer server;
  return server;
}

class SharedPostgres : public DaemonTest {
 protected:
  void SetUp() override {
    SKIP_WITHOUT_POSTGRES();
    static int created = 0;
    db_ = "shared" + std::to_string(++created);
    postgres_server().create_database(db_);
  }

  void TearDown() override {
    DaemonTest::TearDown();  // the daemons' logs, on a failure
    if (!HasFailure() || db_.empty()) return;
    const std::string log = postgres_server().log();
    std::cerr << "---- PostgreSQL log ----\n"
              << (log.size() > 8000 ? "[...]\n" + log.substr(log.size() - 8000) : log) << "---- end of log ----\n";
  }

  /// The daemons' --store: this test's database, as its own unprivileged role.
  [[nodiscard]] std::string store_option() const { return "--store=" + postgres_server().uri(db_, db_); }

  /// `sql`'s output, run by the administrator in this test's database.
  [[nodiscard]] std::string sql(const std::string& text) const { return postgres_server().psql(text, db_); }

  /// The first daemon: 127.0.0.1:port(), the fixture's database directory.
  std::unique_ptr<DaemonProcess> start_first(std::vector<std::string> extra) {
    extra.push_back(store_option());
    return start_tcp(extra);
  }

  /// The second daemon, as on another host: a port and a database directory of its own,
  /// the same PostgreSQL database. Retries on another port if its port was taken meanwhile.
  std::unique_ptr<DaemonProcess> start_second(const std::vector<std::string>& extra) {
    for (int attempt = 1;; ++attempt) {
      do second_port_ = free_tcp_port();
      while (second_port_ == port());
      std::vector<std::string> args = base_args();
      for (auto& arg : args) {
        if (arg.starts_with("--dbdir=")) arg = "--dbdir=" + dir_.file("db-second");
      }
      args.push_back("--inet=127.0.0.1:" + std::to_string(second_port_));
      args.push_back(store_option());
      args.insert(args.end(), extra.begin(), extra.end());
      auto daemon = spawn(args);
      if (daemon->wait_ready(10s)) return daemon;
      const std::string log = daemon->log();
      if (attempt < 5 && log.find("Address already in use") != std::string::npos) continue;
      throw std::runtime_error("second daemon did not get ready; log:\n" + log);
    }
  }

  /// A client connected to the second daemon.
  PolicyClient connect_second() {
    std::string error;
    auto client = PolicyClient::connect_tcp("127.0.0.1", second_port_, 5s, &error);
    if (!client) throw std::runtime_error("cannot connect to the second daemon: " + error);
    return std::move(*client);
  }

  std::string db_;
  std::uint16_t second_port_ = 0;
};

}  // namespace grayling::test
