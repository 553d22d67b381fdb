// Hardening: the database fails under the running daemon (deleted, corrupt, locked by
// another process, disk full, claimed by a second daemon). Mail must keep flowing (DUNNO,
// or 451 with --store-error-action=tempfail), the log must say why, and greylisting must
// resume by itself once the store is usable again.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "daemon_fixture.hpp"
#include "support/sqlite_lock.hpp"

namespace grayling::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::system_clock;

constexpr const char* kTempfailReply =
    "action=451 4.3.0 Greylisting temporarily unavailable, please try again later\n\n";

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class HardeningStore : public DaemonTest {
 protected:
  [[nodiscard]] std::string db_file() const { return dbdir() + "/grayling.db"; }

  /// A new triplet (its own recipient) for the domain `domain`.
  static std::string fresh(const std::string& domain, int n, const std::string& client = "192.0.2.10") {
    return rcpt_request(client, "sender@example.net", "r" + std::to_string(n) + "@" + domain);
  }

  /// Greylists a new triplet now and checks it passes once the delay (1 s) is over: the
  /// whole story works on whatever store the daemon has at this point.
  void expect_greylisting_works(PolicyClient& client, const std::string& domain) {
    const std::string request = rcpt_request("198.51.100.77", "works@example.net", "check@" + domain);
    align_to_second();
    const auto first = system_clock::now();
    EXPECT_EQ(client.ask(request), greylist_reply(domain)) << client.error();
    sleep_until(first, 1150ms);
    EXPECT_TRUE(IsFirstPass(client.ask(request), 1)) << client.error();
  }

  void stop_cleanly(DaemonProcess& daemon) {
    daemon.send_signal(SIGTERM);
    const auto status = daemon.wait_exit(5s);
    ASSERT_TRUE(status) << "daemon still running 5 s after SIGTERM";
    EXPECT_TRUE(status->exited() && status->code() == 0) << status->describe();
  }

  /// The daemon on a database another process holds BEGIN EXCLUSIVE on for about 3 s:
  /// each request meanwhile gets `expected` within ~2 s (busy_timeout is 1 s), then it
  /// greylists again without a restart.
  void run_locked_database(const std::vector<std::string>& extra, const std::string& expected,
                           const std::string& error_answer, const std::string& decision_line) {
    std::vector<std::string> args{"--delay=1"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto daemon = start_tcp(args);
    auto client = connect();
    const std::string before = rcpt_request("192.0.2.30", "before@example.net", "r@locked.example");
    align_to_second();
    const auto before_at = system_clock::now();
    ASSERT_EQ(client.ask(before), greylist_reply("locked.example"));  // the database exists now

    {
      SqliteExclusiveLock lock(db_file());
      const auto locked_at = Clock::now();
      int n = 0;
      // New triplets for the first 2 s of the ~3 s hold (each waits out the 1 s busy_timeout).
      while (Clock::now() - locked_at < 2s) {
        const auto asked = Clock::now();
        const auto reply = client.ask(fresh("during-lock.example", n++), 5s);
        const double took = seconds_since(asked);
        EXPECT_EQ(reply, expected) << "request " << n << " during the lock: " << client.error();
        // busy_timeout 1 s + scheduling slack: never a Postfix-visible stall.
        EXPECT_LT(took, 2.5) << "request " << n << " took " << took << " s while the database was locked";
        if (!reply) break;
      }
      EXPECT_GE(n, 2);
      std::this_thread::sleep_until(locked_at + 3s);
    }  // released here

    // Greylisting resumes at once: the next new triplet is greylisted, and the triplet
    // seen before the lock was kept.
    EXPECT_EQ(client.ask(fresh("after-lock.example", 0)), greylist_reply("after-lock.example"));
    EXPECT_TRUE(daemon->wait_for_log("store is usable again; greylisting resumed"));
    sleep_until(before_at, 1150ms);
    EXPECT_TRUE(IsFirstPass(client.ask(before), -1));

    EXPECT_TRUE(daemon->wait_for_log("store error: ", 0ms));
    EXPECT_TRUE(daemon->wait_for_log("; answering " + error_answer, 0ms));
    EXPECT_TRUE(daemon->wait_for_log("database is locked", 0ms)) << "the log should say why";
    EXPECT_TRUE(daemon->wait_for_count(decision_line, 2));
    EXPECT_EQ(daemon->count_in_log("store error: "), 1u) << "store errors are reported at most once per 10 s";
    EXPECT_TRUE(daemon->running());
  }
};

// 1. An admin deletes the database files under the running daemon.
TEST_F(HardeningStore, DatabaseDeletedWhileRunningIsRecreated) {
  auto daemon = start_tcp({"--delay=1"});
  auto client = connect();
  ASSERT_EQ(client.ask(fresh("before-rm.example", 0)), greylist_reply("before-rm.example"));
  ASSERT_TRUE(std::filesystem::exists(db_file()));

  // rm DBDIR/grayling.db*
  std::size_t removed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dbdir())) {
    if (entry.path().filename().string().starts_with("grayling.db")) removed += std::filesystem::remove(entry.path());
  }
  ASSERT_GE(removed, 1u);
  ASSERT_FALSE(std::filesystem::exists(db_file()));
  const std::size_t mark = daemon->log().size();
  const auto removed_at = Clock::now();

  // Traffic goes on; within ~2 s (its health check period) the daemon notices.
  bool noticed = false;
  for (int n = 0; !noticed && Clock::now() - removed_at < 5s; ++n) {
    EXPECT_EQ(client.ask(fresh("during-rm.example", n)), greylist_reply("during-rm.example")) << client.error();
    noticed = daemon->wait_for_log("reopening the store: the database file was removed or replaced while in use",
                                   0ms, mark);
    if (!noticed) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(noticed) << "the daemon did not notice the removed database within 5 s";
  EXPECT_LT(seconds_since(removed_at), 3.0);
  EXPECT_TRUE(daemon->wait_for_log("store reopened", 2s, mark));
  EXPECT_TRUE(std::filesystem::exists(db_file())) << "no new database file";

  expect_greylisting_works(client, "after-rm.example");
  EXPECT_EQ(daemon->count_in_log("store error: "), 0u);

  // What it holds now is on disk, in the new file: a restart still knows the triplet.
  stop_cleanly(*daemon);
  auto restarted = start_tcp({"--delay=1"});
  EXPECT_EQ(connect().ask(rcpt_request("198.51.100.77", "works@example.net", "check@after-rm.example")), kDunnoReply);
  EXPECT_TRUE(restarted->wait_for_log("action=pass, reason=triplet found"));
  EXPECT_EQ(restarted->count_in_log("reason=new"), 0u);
}

// 2. A database that is not one (here: 8 KiB of 'x') is moved aside at start-up.
TEST_F(HardeningStore, CorruptDatabaseAtStartIsMovedAsideAndReplaced) {
  ASSERT_TRUE(std::filesystem::create_directory(dbdir()));
  const std::string garbage(8192, 'x');
  std::ofstream(db_file(), std::ios::binary) << garbage;
  ASSERT_EQ(std::filesystem::file_size(db_file()), 8192u);

  auto daemon = start_tcp({"--delay=1"});
  const std::string log = daemon->log();
  std::smatch match;
  const std::regex moved("critical: database (\\S+) is corrupt \\(.*\\); moved it to (\\S+) and started a new one");
  ASSERT_TRUE(std::regex_search(log, match, moved)) << log;
  EXPECT_EQ(match[1].str(), db_file());
  const std::string aside = match[2].str();
  EXPECT_TRUE(std::regex_match(aside, std::regex(std::regex_replace(db_file(), std::regex("[.^$|()\\[\\]{}*+?\\\\]"),
                                                                    "\\$&") +
                                                 "\\.corrupt-[0-9]{8}-[0-9]{6}")))
      << aside;
  ASSERT_TRUE(std::filesystem::exists(aside)) << aside;
  EXPECT_EQ(read_file(aside), garbage) << "the corrupt file must be kept as it was, for inspection";

  auto client = connect();
  expect_greylisting_works(client, "after-corrupt.example");
  EXPECT_EQ(daemon->count_in_log("store error: "), 0u);
}

// 3. Another process (an admin's sqlite3 shell) holds the write lock for a while.
TEST_F(HardeningStore, LockedDatabaseFailsOpenAndRecovers) {
  run_locked_database({}, kDunnoReply, "DUNNO (fail open)", "action=pass, reason=store unavailable");
}

TEST_F(HardeningStore, LockedDatabaseWithTempfailAnswers451AndRecovers) {
  run_locked_database({"--store-error-action=tempfail"}, kTempfailReply, "451 (tempfail)",
                      "action=greylist, reason=store unavailable");
}

// 3b. --store-timeout, on the real binary: a database locked by another process holds each
// batch for SQLite's 1 s busy timeout; with --store-timeout=200 the answer must not wait
// for it. The request gets the --store-error-action answer after ~0.2 s, with a warning;
// the connection's next requests, while the store still has the first, are answered the
// same at once ("store busy"), not queued behind it.
TEST_F(HardeningStore, StoreTimeoutAnswersBeforeALockedDatabaseGivesUp) {
  auto daemon = start_tcp({"--delay=1", "--store-timeout=200", "--store-error-action=tempfail"});
  auto client = connect();
  ASSERT_EQ(client.ask(fresh("before-timeout.example", 0)), greylist_reply("before-timeout.example"));
  {
    SqliteExclusiveLock lock(db_file());
    for (int n = 0; n < 3; ++n) {
      const auto asked = Clock::now();
      EXPECT_EQ(client.ask(fresh("timeout.example", n)), kTempfailReply) << client.error();
      const double took = seconds_since(asked);
      if (n == 0) {
        EXPECT_GE(took, 0.15) << "answered before the timeout: not the timeout's answer";
        EXPECT_LT(took, 0.8) << "waited for SQLite's busy timeout instead of --store-timeout";
      } else {
        EXPECT_LT(took, 0.15) << "request " << n << " waited though the store still had the first";
      }
    }
  }
  EXPECT_TRUE(daemon->wait_for_log("warning: store did not answer within 200 ms: answering 451 (tempfail) meanwhile"));
  EXPECT_TRUE(daemon->wait_for_log("action=greylist, reason=store timeout"));
  EXPECT_TRUE(daemon->wait_for_log("action=greylist, reason=store busy"));
  // The lock is gone: once the batches queued meanwhile are through (each may still sit
  // out part of a busy timeout), decisions come from the store again.
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(client.ask(fresh("after-timeout.example", 0)), greylist_reply("after-timeout.example"));
}

/// A small tmpfs mounted for one test, lazily unmounted when the test ends.
class SmallTmpfs {
 public:
  SmallTmpfs(const std::string& path, const std::string& size) : path_(path) {
    std::filesystem::create_directories(path_);
    const std::string options = "size=" + size + ",mode=0700";
    if (::mount("tmpfs", path_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) == 0) {
      mounted_ = true;
    } else {
      error_ = std::strerror(errno);
    }
  }
  ~SmallTmpfs() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  SmallTmpfs(const SmallTmpfs&) = delete;
  SmallTmpfs& operator=(const SmallTmpfs&) = delete;
  [[nodiscard]] bool mounted() const { return mounted_; }
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  std::string path_;
  bool mounted_ = false;
  std::string error_;
};

/// Writes `path` until the file system is full; returns the bytes written (-1 on another error).
long long fill_file_system(const std::string& path, std::string* error) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = std::strerror(errno);
    return -1;
  }
  const std::string chunk(4096, 'f');
  long long total = 0;
  for (int i = 0; i < 100000; ++i) {  // bounded: the file system is 256 KiB
    const ssize_t written = ::write(fd, chunk.data(), chunk.size());
    if (written > 0) {
      total += written;
      continue;
    }
    if (written < 0 && errno == EINTR) continue;
    if (written < 0 && errno == ENOSPC) break;
    *error = written < 0 ? std::strerror(errno) : "write returned 0";
    ::close(fd);
    return -1;
  }
  ::close(fd);
  return total;
}

// 4. The database's file system fills up under the daemon, then space comes back.
TEST_F(HardeningStore, DiskFullFailsOpenAndRecovers) {
  SmallTmpfs tmpfs(dbdir(), "256k");
  if (!tmpfs.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (" << tmpfs.error() << "); needs root";

  auto daemon = start_tcp({"--delay=1"});
  auto client = connect();
  const std::string before = rcpt_request("192.0.2.40", "before@example.net", "r@full.example");
  align_to_second();
  const auto before_at = system_clock::now();
  ASSERT_EQ(client.ask(before), greylist_reply("full.example"));

  const std::string filler = dbdir() + "/filler";
  std::string error;
  const long long filled = fill_file_system(filler, &error);
  ASSERT_GE(filled, 0) << "filling the tmpfs: " << error;
  RecordProperty("filler_bytes", static_cast<int>(filled));

  // New triplets need new pages: soon (at once, really) the store cannot write.
  bool failing = false;
  int n = 0;
  const auto start = Clock::now();
  while (!failing && n < 200 && Clock::now() - start < 10s) {
    const auto reply = client.ask(fresh("while-full.example", n++), 5s);
    ASSERT_TRUE(reply) << "no reply while the disk is full: " << client.error();
    if (*reply == kDunnoReply) {
      failing = true;
    } else {
      EXPECT_EQ(*reply, greylist_reply("while-full.example"));
    }
  }
  ASSERT_TRUE(failing) << "the store kept working on a full file system after " << n << " new triplets";
  EXPECT_TRUE(daemon->wait_for_log("; answering DUNNO (fail open)"));
  EXPECT_TRUE(daemon->wait_for_log("disk is full", 0ms)) << "the log should say why";
  EXPECT_TRUE(daemon->wait_for_log("action=pass, reason=store unavailable"));
  // While full, every new triplet is let through.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(client.ask(fresh("still-full.example", i)), kDunnoReply);

  ASSERT_TRUE(std::filesystem::remove(filler));
  // Space is back: greylisting resumes by itself, without a restart.
  EXPECT_EQ(client.ask(fresh("space-back.example", 0)), greylist_reply("space-back.example"));
  EXPECT_TRUE(daemon->wait_for_log("store is usable again; greylisting resumed"));
  sleep_until(before_at, 1150ms);
  EXPECT_TRUE(IsFirstPass(client.ask(before), -1)) << "the triplet stored before the disk filled up was lost";
  expect_greylisting_works(client, "after-full.example");
  stop_cleanly(*daemon);
}

// 5. One daemon per database: a second one on the same --dbdir gives up at start.
TEST_F(HardeningStore, SecondDaemonOnTheSameDatabaseIsRefused) {
  auto first = start_tcp();
  auto client = connect();
  ASSERT_EQ(client.ask(fresh("one-daemon.example", 0)), greylist_reply("one-daemon.example"));

  auto args = base_args();  // same --dbdir
  args.push_back("--inet=127.0.0.1:" + std::to_string(free_tcp_port()));
  auto second = spawn(args);
  const auto status = second->wait_exit(10s);
  ASSERT_TRUE(status) << "second daemon on the same database still running";
  EXPECT_TRUE(status->exited() && status->code() != 0) << status->describe();
  EXPECT_TRUE(second->wait_for_log("another grayling is already using this database", 0ms)) << second->log();
  EXPECT_EQ(second->count_in_log(" ready: "), 0u);

  EXPECT_EQ(client.ask(fresh("one-daemon.example", 1)), greylist_reply("one-daemon.example"));
  EXPECT_TRUE(first->running());
}

// 5b. The guard must survive what test 1 does: `rm DBDIR/grayling.db*` also removes the
// lock file, and the running daemon recreates the database but must still keep a second
// daemon off it.
TEST_F(HardeningStore, SecondDaemonIsRefusedEvenAfterTheDatabaseFilesWereDeleted) {
  auto first = start_tcp();
  auto client = connect();
  ASSERT_EQ(client.ask(fresh("rm-lock.example", 0)), greylist_reply("rm-lock.example"));
  for (const auto& entry : std::filesystem::directory_iterator(dbdir())) {
    if (entry.path().filename().string().starts_with("grayling.db")) std::filesystem::remove(entry.path());
  }
  // Let the first daemon notice and recreate its database.
  const auto removed_at = Clock::now();
  for (int n = 1; Clock::now() - removed_at < 5s; ++n) {
    ASSERT_TRUE(client.ask(fresh("rm-lock.example", n))) << client.error();
    if (first->wait_for_log("store reopened", 0ms)) break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(first->wait_for_log("store reopened", 0ms));

  auto args = base_args();
  args.push_back("--inet=127.0.0.1:" + std::to_string(free_tcp_port()));
  auto second = spawn(args);
  // It either gives up at start or (the defect) gets ready within milliseconds.
  const bool second_ready = second->wait_for_log(" ready: ", 5s);
  EXPECT_FALSE(second_ready) << "a second daemon is running on the database of a live one: the lock file went with "
                                "`rm grayling.db*` and nothing recreated or re-checked it";
  const auto status = second->wait_exit(second_ready ? 0ms : 5s);
  if (!second_ready) {
    ASSERT_TRUE(status) << "second daemon neither ready nor gone after 5 s";
    EXPECT_TRUE(status->exited() && status->code() != 0) << status->describe();
    EXPECT_TRUE(second->wait_for_log("another grayling is already using this database", 0ms)) << second->log();
  }
}

}  // namespace
}  // namespace grayling::test
