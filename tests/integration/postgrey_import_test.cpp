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

  /// postgrey on a free loopback port with its database in `dbdir` (postgrey_dir()); as
  /// root it drops to its own user, which must own that directory.
  std::unique_ptr<DaemonProcess> start_postgrey(const std::vector<std::string>& options) {
    return start_postgrey(options, postgrey_dir());
  }
  std::unique_ptr<DaemonProcess> start_postgrey(const std::vector<std::string>& options, const std::string& dbdir) {
    postgrey_port_ = free_tcp_port();
    fs::create_directories(dbdir);
    const std::string empty = dir_.file("postgrey-empty-whitelist");
    std::ofstream(empty).close();
    std::vector<std::string> args{"--inet=127.0.0.1:" + std::to_string(postgrey_port_), "--dbdir=" + dbdir,
                                  "--whitelist-clients=" + empty, "--whitelist-recipients=" + empty};
    if (::geteuid() == 0) {
      const passwd* user = ::getpwnam("postgrey");
      if (!user) throw std::runtime_error("running as root, but there is no user postgrey to run postgrey as");
      fs::permissions(dir_.path(), fs::perms::owner_all | fs::perms::others_exec | fs::perms::group_exec);
      fs::permissions(empty, fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
      if (::chown(dbdir.c_str(), user->pw_uid, user->pw_gid) != 0) throw std::runtime_error("chown failed");
      args.push_back("--user=postgrey");
      args.push_back("--group=postgrey");
    }
    args.insert(args.end(), options.begin(), options.end());
    auto postgrey = std::make_unique<DaemonProcess>(kPostgrey, args, dbdir + ".log");
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

  /// postgrey with `options` in `dbdir` answers `requests` (each greylisted: new), and is stopped.
  ::testing::AssertionResult greylist_at_postgrey(const std::vector<std::string>& options, const std::string& dbdir,
                                                  const std::vector<std::string>& requests) {
    auto postgrey = start_postgrey(options, dbdir);
    {
      auto client = connect_postgrey();
      for (const auto& request : requests) {
        const auto reply = client.ask(request);
        if (reply.value_or("").rfind("action=DEFER_IF_PERMIT", 0) != 0) {
          return ::testing::AssertionFailure() << "postgrey answered " << reply.value_or("nothing") << "; its log:\n"
                                               << postgrey->log();
        }
      }
    }
    return stop_postgrey(*postgrey);
  }

  PolicyClient connect_postgrey() {
    auto client = PolicyClient::connect_tcp("127.0.0.1", postgrey_port_, 5s);
    if (!client) throw std::runtime_error("cannot connect to postgrey");
    return std::move(*client);
  }

  [[nodiscard]] std::string postgrey_dir() const { return dir_.file("postgrey"); }

  std::uint16_t postgrey_port_ = 0;
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
                              "re-keyed 0 triplets and 0 auto-whitelisted clients to the keys grayling builds "
                              "(0 merged with another row)\nskipped 0\nmalformed 0\n"),
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

// grayling files a sender with a hex id as "news-#@" where postgrey kept the id: the
// importer files each row under grayling's key, so the sender's next attempt, with a
// fresh id, is the triplet postgrey knew. Two of postgrey's rows that become one key are
// merged (earliest first sighting, latest last one, passed if either passed).
TEST_F(PostgreyImport, SendersWithHexIdsAreFiledUnderGraylingsKeys) {
  const std::vector<std::string> settings{"--delay=1", "--auto-whitelist-clients=0"};
  const std::string first_id = rcpt_request("192.0.2.1", "news-5f3a9c2e1b@shop.example", "r@migrate.example");
  const std::string second_id = rcpt_request("192.0.2.1", "news-8e2b4d6f0a@shop.example", "r@migrate.example");
  // postgrey makes '#' of the UUID's digit-only group, hiding the UUID from grayling's rule.
  const std::string uuid =
      rcpt_request("198.51.100.2", "b-5f3a9c2e-1234-4b7c-8d9e-0a1b2c3d4e5f@mailer.example", "r@migrate.example");
  {
    auto postgrey = start_postgrey(settings);
    {
      auto client = connect_postgrey();
      align_to_second();
      const auto first = system_clock::now();
      for (const auto* request : {&first_id, &second_id, &uuid}) {
        ASSERT_EQ(client.ask(*request).value_or("").rfind("action=DEFER_IF_PERMIT", 0), 0U) << postgrey->log();
      }
      sleep_until(first, 2100ms);
      ASSERT_EQ(client.ask(first_id).value_or("").rfind("action=PREPEND X-Greylist: delayed", 0), 0U) << postgrey->log();
    }
    ASSERT_TRUE(stop_postgrey(*postgrey));
  }
  auto daemon = start_tcp(settings);
  const ProgramRun imported = run_admin({"import-postgrey", "--dbdir=" + postgrey_dir()}, settings);
  ASSERT_EQ(imported.exit_code, 0) << imported.describe();
  EXPECT_NE(imported.out.find("imported 2 triplets (1 passed, 1 pending) and 0 auto-whitelisted clients\n"
                              "re-keyed 3 triplets and 0 auto-whitelisted clients to the keys grayling builds "
                              "(1 merged with another row)\n"),
            std::string::npos)
      << imported.out;
  const ProgramRun listed = run_admin({"list"}, settings);
  EXPECT_NE(listed.out.find("192.0.2.0/news-#@shop.example/r@migrate.example"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("198.51.100.0/b-#@mailer.example/r@migrate.example"), std::string::npos) << listed.out;

  // Their next attempts, each with a fresh id, are not greylisted again.
  auto client = connect();
  EXPECT_EQ(client.ask(rcpt_request("192.0.2.1", "news-3c4d5e6f7a@shop.example", "r@migrate.example")), kDunnoReply)
      << daemon->log();
  EXPECT_TRUE(IsFirstPass(client.ask(
      rcpt_request("198.51.100.2", "b-0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f@mailer.example", "r@migrate.example"))))
      << daemon->log();
  EXPECT_EQ(daemon->count_in_log("reason=new"), 0U) << daemon->log();
}

// postgrey data made with other key settings than grayling's: what can be filed under
// grayling's keys is (a host's key under its network), what grayling would never look up
// is not imported, and a warning says how many and which setting differs.
TEST_F(PostgreyImport, KeysMadeWithOtherSettingsAreFiledAnewOrReportedWithCounts) {
  const std::vector<std::string> settings{"--delay=1", "--auto-whitelist-clients=0"};
  auto daemon = start_tcp(settings);  // the store the imports go into
  const std::string hashed = dir_.file("privacy");
  ASSERT_TRUE(greylist_at_postgrey({"--delay=1", "--auto-whitelist-clients=0", "--privacy"}, hashed,
                                   {rcpt_request("192.0.2.1", "a@example.org", "r@migrate.example"),
                                    rcpt_request("192.0.2.2", "b@example.org", "r@migrate.example")}));
  const ProgramRun unhashed = run_admin({"import-postgrey", "--dbdir=" + hashed}, settings);
  ASSERT_EQ(unhashed.exit_code, 0) << unhashed.describe();
  EXPECT_NE(unhashed.err.find("warning: 2 triplets are SHA-1 digests (postgrey --privacy) and grayling runs without "
                              "--privacy: it would never look them up, so they are not imported"),
            std::string::npos)
      << unhashed.err;
  EXPECT_NE(unhashed.out.find("imported 0 triplets"), std::string::npos) << unhashed.out;
  EXPECT_NE(unhashed.out.find("skipped 2:"), std::string::npos) << unhashed.out;
  std::vector<std::string> private_settings = settings;
  private_settings.push_back("--privacy");
  const ProgramRun with_privacy = run_admin({"import-postgrey", "--dbdir=" + hashed, "--dry-run"}, private_settings);
  EXPECT_NE(with_privacy.out.find("would import 2 triplets"), std::string::npos) << with_privacy.out;
  EXPECT_EQ(with_privacy.err.find("warning"), std::string::npos) << with_privacy.err;

  // By host: filed under grayling's /24, the two hosts' rows merged into one.
  const std::string by_host = dir_.file("by-host");
  ASSERT_TRUE(greylist_at_postgrey({"--delay=1", "--auto-whitelist-clients=0", "--lookup-by-host"}, by_host,
                                   {rcpt_request("192.0.2.7", "c@example.org", "r@migrate.example"),
                                    rcpt_request("192.0.2.8", "c@example.org", "r@migrate.example")}));
  const ProgramRun hosts = run_admin({"import-postgrey", "--dbdir=" + by_host}, settings);
  ASSERT_EQ(hosts.exit_code, 0) << hosts.describe();
  EXPECT_NE(hosts.err.find("warning: 2 triplets were keyed by host (postgrey --lookup-by-host) and grayling keys by "
                           "network: they are filed under grayling's network keys"),
            std::string::npos)
      << hosts.err;
  EXPECT_NE(hosts.out.find("imported 1 triplets (0 passed, 1 pending)"), std::string::npos) << hosts.out;
  EXPECT_NE(hosts.out.find("(1 merged with another row)"), std::string::npos) << hosts.out;
  auto client = connect();
  EXPECT_TRUE(IsFirstPass(client.ask(rcpt_request("192.0.2.9", "c@example.org", "r@migrate.example"))))
      << daemon->log();

  // postgrey --ipv4cidr=16: sixteen /16 networks, which grayling's /24 keys never match.
  std::vector<std::string> wide_requests;
  for (int n = 1; n <= 16; ++n) {
    wide_requests.push_back(rcpt_request("10." + std::to_string(n) + ".1.1", "d@example.org", "r@migrate.example"));
  }
  const std::string wide = dir_.file("wide");
  ASSERT_TRUE(greylist_at_postgrey({"--delay=1", "--auto-whitelist-clients=0", "--ipv4cidr=16"}, wide, wide_requests));
  const ProgramRun by_24 = run_admin({"import-postgrey", "--dbdir=" + wide, "--dry-run"}, settings);
  ASSERT_EQ(by_24.exit_code, 0) << by_24.describe();
  EXPECT_NE(by_24.err.find("warning: 16 triplets are keyed by /16 networks (postgrey --ipv4cidr=16?) and grayling "
                           "keys by /24: it would never look them up, so they are not imported"),
            std::string::npos)
      << by_24.err;
  EXPECT_NE(by_24.out.find("would import 0 triplets"), std::string::npos) << by_24.out;
  std::vector<std::string> by_16 = settings;
  by_16.push_back("--ipv4cidr=16");
  const ProgramRun matching = run_admin({"import-postgrey", "--dbdir=" + wide, "--dry-run"}, by_16);
  EXPECT_NE(matching.out.find("would import 16 triplets"), std::string::npos) << matching.out;
  EXPECT_EQ(matching.err.find("warning"), std::string::npos) << matching.err;
  std::vector<std::string> host_settings = settings;
  host_settings.push_back("--lookup-by-host");
  const ProgramRun by_host_grayling = run_admin({"import-postgrey", "--dbdir=" + wide, "--dry-run"}, host_settings);
  EXPECT_NE(by_host_grayling.err.find("warning: 16 triplets are keyed by network and grayling keys by host "
                                      "(--lookup-by-host): it would never look them up, so they are not imported"),
            std::string::npos)
      << by_host_grayling.err;
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
