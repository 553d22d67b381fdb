// grayling-admin import-postgrey against the real postgrey (Debian's 1.37): postgrey
// greylists real requests and is stopped; its files are imported while grayling runs;
// grayling then passes the retries postgrey was waiting for without greylisting them
// again, and keeps the client postgrey had auto-whitelisted. Importing twice changes
// nothing; a damaged file imports nothing. Skipped without postgrey and db-util, unless
// GRAYLING_POSTGREY_REQUIRED=1 (the suite's script sets it) makes that a failure.
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "daemon_fixture.hpp"
#include "support/run_program.hpp"

namespace grayling::test {
namespace {

namespace fs = std::filesystem;
using std::chrono::system_clock;

constexpr const char* kPostgrey = "/usr/sbin/postgrey";

bool on_path(const std::string& program) {
  return run_program({"/bin/sh", "-c", "command -v " + program}).exit_code == 0;
}

class PostgreyImport : public DaemonTest {
 protected:
  void SetUp() override {
    std::string missing;
    if (::access(kPostgrey, X_OK) != 0) missing = "postgrey (package postgrey)";
    if (!on_path("db_dump")) missing += std::string(missing.empty() ? "" : ", ") + "db_dump (package db-util)";
    if (missing.empty()) return;
    const char* required = std::getenv("GRAYLING_POSTGREY_REQUIRED");
    if (required && std::string(required) == "1") FAIL() << "GRAYLING_POSTGREY_REQUIRED is set, but " << missing << " is missing";
    GTEST_SKIP() << missing << " not installed";
  }

  /// postgrey on a free loopback port with its database in `postgrey_dir()`; as root it
  /// drops to its own user, which must own that directory.
  std::unique_ptr<DaemonProcess> start_postgrey(const std::vector<std::string>& options) {
    fs::create_directories(postgrey_dir());
    const std::string empty = dir_.file("postgrey-empty-whitelist");
    std::ofstream(empty).close();
    std::vector<std::string> args{"--inet=127.0.0.1:" + std::to_string(postgrey_port_), "--dbdir=" + postgrey_dir(),
                                  "--whitelist-clients=" + empty, "--whitelist-recipients=" + empty};
    if (::geteuid() == 0) {
      const passwd* user = ::getpwnam("postgrey");
      if (!user) throw std::runtime_error("running as root, but there is no user postgrey to run postgrey as");
      fs::permissions(dir_.path(), fs::perms::owner_all | fs::perms::others_exec | fs::perms::group_exec);
      fs::permissions(empty, fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
      if (::chown(postgrey_dir().c_str(), user->pw_uid, user->pw_gid) != 0) throw std::runtime_error("chown failed");
      args.push_back("--user=postgrey");
      args.push_back("--group=postgrey");
    }
    args.insert(args.end(), options.begin(), options.end());
    auto postgrey = std::make_unique<DaemonProcess>(kPostgrey, args, dir_.file("postgrey.log"));
    for (int i = 0; i < 100; ++i) {  // Perl takes a moment to start: up to 10 s
      if (PolicyClient::connect_tcp("127.0.0.1", postgrey_port_, 1s)) return postgrey;
      if (!postgrey->running()) break;
      std::this_thread::sleep_for(100ms);
    }
    throw std::runtime_error("postgrey did not start; its log:\n" + postgrey->log());
  }

  /// Stops postgrey cleanly (its files are complete only then). Its event loop may sleep
  /// through a SIGTERM until something happens on a socket: knock until it is gone.
  ::testing::AssertionResult stop_postgrey(DaemonProcess& postgrey) {
    for (int attempt = 0; attempt < 20; ++attempt) {
      postgrey.send_signal(SIGTERM);
      (void)PolicyClient::connect_tcp("127.0.0.1", postgrey_port_, 200ms);
      if (postgrey.wait_exit(500ms)) return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "postgrey did not stop; its log:\n" << postgrey.log();
  }

  PolicyClient connect_postgrey() {
    auto client = PolicyClient::connect_tcp("127.0.0.1", postgrey_port_, 5s);
    if (!client) throw std::runtime_error("cannot connect to postgrey");
    return std::move(*client);
  }

  [[nodiscard]] std::string postgrey_dir() const { return dir_.file("postgrey"); }

  std::uint16_t postgrey_port_ = free_tcp_port();
};

std::string without_header(const std::string& dump) { return dump.substr(dump.find('\n') + 1); }

TEST_F(PostgreyImport, GraylingPassesPostgreysRetriesAndKeepsItsAutoWhitelist) {
  // The same settings on both sides, as an administrator migrating would keep them.
  const std::vector<std::string> settings{"--delay=1", "--auto-whitelist-clients=1"};
  const std::string passed = rcpt_request("192.0.2.1", "alice@example.org", "r@migrate.example");
  const std::string waiting = rcpt_request("198.51.100.2", "bob@example.org", "r@migrate.example");
  const std::string waiting_v6 = rcpt_request("2001:db8:5::7", "carol@example.org", "r@migrate.example");
  {
    auto postgrey = start_postgrey(settings);
    {  // postgrey stops only once its connections are closed
      auto client = connect_postgrey();
      align_to_second();
      const auto first = system_clock::now();
      for (const auto* request : {&passed, &waiting, &waiting_v6}) {
        ASSERT_EQ(client.ask(*request).value_or("").rfind("action=DEFER_IF_PERMIT", 0), 0U) << postgrey->log();
      }
      sleep_until(first, 2100ms);
      ASSERT_EQ(client.ask(passed).value_or("").rfind("action=PREPEND X-Greylist: delayed", 0), 0U) << postgrey->log();
      ASSERT_TRUE(postgrey->wait_for_log("whitelisted: "));  // the client reached the auto-whitelist
    }
    ASSERT_TRUE(stop_postgrey(*postgrey));
  }

  // Imported while grayling runs, twice: the second run changes nothing.
  std::vector<std::string> daemon_options = settings;
  auto daemon = start_tcp(daemon_options);
  const ProgramRun dry = run_admin({"import-postgrey", "--dbdir=" + postgrey_dir(), "--dry-run"}, settings);
  ASSERT_EQ(dry.exit_code, 0) << dry.describe();
  EXPECT_NE(dry.out.find("would import 3 triplets (1 passed, 2 pending) and 1 auto-whitelisted clients"),
            std::string::npos)
      << dry.out;
  EXPECT_EQ(run_admin({"export"}, settings).out.find("\"triplet\""), std::string::npos) << "--dry-run wrote";
  const ProgramRun imported = run_admin({"import-postgrey", "--dbdir=" + postgrey_dir()}, settings);
  ASSERT_EQ(imported.exit_code, 0) << imported.describe();
  EXPECT_NE(imported.out.find("imported 3 triplets (1 passed, 2 pending) and 1 auto-whitelisted clients\n"
                              "skipped 0\nmalformed 0\n"),
            std::string::npos)
      << imported.out;
  const std::string once = without_header(run_admin({"export"}, settings).out);
  ASSERT_EQ(run_admin({"import-postgrey", "--dbdir=" + postgrey_dir()}, settings).exit_code, 0);
  EXPECT_EQ(without_header(run_admin({"export"}, settings).out), once);
  const ProgramRun listed = run_admin({"list"}, settings);
  EXPECT_NE(listed.out.find("192.0.2.0/alice@example.org/r@migrate.example"), std::string::npos) << listed.out;

  // The retries postgrey was waiting for pass at once; its auto-whitelisted client stays so.
  auto client = connect();
  EXPECT_TRUE(IsFirstPass(client.ask(waiting))) << daemon->log();
  EXPECT_TRUE(IsFirstPass(client.ask(waiting_v6))) << daemon->log();
  EXPECT_EQ(client.ask(passed), kDunnoReply);
  EXPECT_EQ(client.ask(rcpt_request("192.0.2.1", "someone-new@example.net", "x@migrate.example")), kDunnoReply);
  EXPECT_TRUE(daemon->wait_for_count("reason=client AWL", 2));
  EXPECT_EQ(daemon->count_in_log("reason=new"), 0U) << daemon->log();
}

TEST_F(PostgreyImport, ADamagedDatabaseIsAClearErrorAndImportsNothing) {
  {
    auto postgrey = start_postgrey({"--delay=1"});
    {
      auto client = connect_postgrey();
      for (int i = 0; i < 200; ++i) {  // enough rows for a file of several pages
        ASSERT_TRUE(client.ask(rcpt_request("192.0.2." + std::to_string(i % 250),
                                            "s" + std::to_string(i) + "@example.org", "r@damaged.example")));
      }
    }
    ASSERT_TRUE(stop_postgrey(*postgrey));
  }
  // A copy of the files alone (stopped cleanly, they are complete), postgrey.db cut short.
  const std::string damaged = dir_.file("damaged");
  fs::create_directories(damaged);
  for (const char* file : {"postgrey.db", "postgrey_clients.db"}) {
    if (fs::exists(postgrey_dir() + "/" + file)) fs::copy_file(postgrey_dir() + "/" + file, damaged + "/" + file);
  }
  fs::resize_file(damaged + "/postgrey.db", fs::file_size(damaged + "/postgrey.db") / 2);

  auto daemon = start_tcp({"--delay=1"});
  const ProgramRun run = run_admin({"import-postgrey", "--dbdir=" + damaged}, {"--delay=1"});
  EXPECT_EQ(run.exit_code, 1) << run.describe();
  EXPECT_NE(run.err.find("postgrey.db"), std::string::npos) << run.err;
  EXPECT_EQ(run_admin({"export"}, {"--delay=1"}).out.find("\"triplet\""), std::string::npos) << "something was written";

  const ProgramRun missing = run_admin({"import-postgrey", "--dbdir=" + dir_.file("no-such-dir")}, {"--delay=1"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_FALSE(missing.err.empty());
}

}  // namespace
}  // namespace grayling::test
