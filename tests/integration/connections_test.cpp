// Connection management: idle connections are closed, busy ones are not; the connection
// limit refuses extra clients without hurting admitted ones; SIGTERM stops promptly even
// with a connection open.
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "daemon_fixture.hpp"
#include "support/sqlite_lock.hpp"

namespace grayling::test {
namespace {

using Clock = std::chrono::steady_clock;

class Connections : public DaemonTest {};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// CPU seconds (user and system, all threads) process `pid` has used so far.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));  // after "pid (comm) "
  std::string field;
  double ticks = 0;
  for (int n = 3; fields >> field; ++n) {
    if (n == 14 || n == 15) ticks += std::stod(field);  // utime, stime
    if (n == 15) break;
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

TEST_F(Connections, IdleConnectionIsClosedWhileAnActiveOneIsServed) {
  auto daemon = start_tcp({"--idle-timeout=1"});
  auto idle = connect();
  auto active = connect();
  const auto start = Clock::now();
  // `active` sends a request every 300 ms for 2.4 s: never idle for a whole second.
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(active.ask(rcpt_request("192.0.2.130", "s@example.net", "r" + std::to_string(i) + "@active.example")),
              greylist_reply("active.example"))
        << "request " << i << " after " << seconds_since(start) << " s: " << active.error();
    std::this_thread::sleep_for(300ms);
  }
  // By now `idle` has been closed (after about 1 s), with nothing sent.
  EXPECT_TRUE(idle.wait_closed(0ms)) << "idle connection still open after " << seconds_since(start) << " s";
  EXPECT_EQ(idle.pending(), "");
  EXPECT_FALSE(active.closed());
}

TEST_F(Connections, IdleTimeoutIsNotEarly) {
  auto daemon = start_tcp({"--idle-timeout=2"});
  auto idle = connect();
  const auto start = Clock::now();
  ASSERT_TRUE(idle.wait_closed(6s)) << "idle connection not closed within 6 s";
  const double after = seconds_since(start);
  EXPECT_GE(after, 1.8);
  EXPECT_LE(after, 4.0);
}

TEST_F(Connections, ConnectionFallingIdleAfterABusySpellIsClosed) {
  auto daemon = start_tcp({"--idle-timeout=1"});
  auto client = connect();
  // Back-to-back batches of pipelined requests for 3.5 s, so that the daemon is nearly
  // always busy deciding and committing whenever the idle timer comes due; then silence.
  std::string batch;  // 10 requests (early retries of one triplet): one read, one commit
  for (int i = 0; i < 10; ++i) batch += rcpt_request("192.0.2.140", "s@example.net", "r@busy.example");
  const auto start = Clock::now();
  int batches = 0;
  while (Clock::now() - start < 3500ms) {
    ASSERT_TRUE(client.send(batch)) << client.error();
    ASSERT_EQ(client.read_replies(10).size(), 10u) << "after " << seconds_since(start) << " s: " << client.error();
    ++batches;
  }
  const auto quiet = Clock::now();
  EXPECT_TRUE(client.wait_closed(5s)) << "connection idle for " << seconds_since(quiet)
                                      << " s with --idle-timeout=1 is still open (after " << batches << " batches)";
}

TEST_F(Connections, ConnectionLimitRefusesExtraClients) {
  auto daemon = start_tcp({"--max-connections=2"});
  auto first = connect();
  auto second = connect();
  // A reply proves the daemon has admitted each connection.
  ASSERT_EQ(first.ask(rcpt_request("192.0.2.150", "s@example.net", "a@limit.example")), greylist_reply("limit.example"));
  ASSERT_EQ(second.ask(rcpt_request("192.0.2.151", "s@example.net", "b@limit.example")),
            greylist_reply("limit.example"));

  auto third = connect();  // the kernel accepts; the daemon closes it at once
  const std::string peer = third.local_endpoint();
  third.send(rcpt_request("192.0.2.152", "s@example.net", "c@limit.example"));  // may fail: already closed
  EXPECT_TRUE(third.wait_closed(5s)) << "third connection not closed";
  EXPECT_EQ(third.pending(), "");
  EXPECT_TRUE(daemon->wait_for_log("connection limit of 2 reached: refusing " + peer));

  EXPECT_EQ(first.ask(rcpt_request("192.0.2.150", "s@example.net", "d@limit.example")), greylist_reply("limit.example"));
  EXPECT_EQ(second.ask(rcpt_request("192.0.2.151", "s@example.net", "e@limit.example")),
            greylist_reply("limit.example"));

  // A freed slot is usable again (the daemon notices the close asynchronously).
  { auto leaving = std::move(first); }  // closes it
  const auto deadline = Clock::now() + 5s;
  bool served = false;
  while (!served && Clock::now() < deadline) {
    auto next = connect();
    served = next.ask(rcpt_request("192.0.2.153", "s@example.net", "f@limit.example"), 2s).has_value();
    if (!served) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(served) << "no connection admitted after one of two closed";
}

TEST_F(Connections, SigtermWithAnIdleConnectionOpenStopsPromptly) {
  auto daemon = start_tcp();  // default idle timeout: 600 s
  auto client = connect();
  ASSERT_EQ(client.ask(rcpt_request("192.0.2.160", "s@example.net", "r@term.example")), greylist_reply("term.example"));
  auto silent = connect();  // connected, never sent anything

  const auto start = Clock::now();
  daemon->send_signal(SIGTERM);
  const auto status = daemon->wait_exit(3s);
  ASSERT_TRUE(status) << "daemon still running 3 s after SIGTERM with an idle connection";
  EXPECT_TRUE(status->exited() && status->code() == 0) << status->describe();
  EXPECT_LT(seconds_since(start), 2.0);
  EXPECT_TRUE(daemon->wait_for_log("grayling stopped", 0ms));
  EXPECT_TRUE(client.wait_closed(1s));
  EXPECT_TRUE(silent.wait_closed(1s));
}

// Postfix connects only when it has a request to send. On SIGTERM a connection that has
// not sent it yet gets a moment to, and its answer: cut off, Postfix would sleep a second
// and retry, and across a restart with socket activation that retry is the only cost left.
TEST_F(Connections, SigtermAnswersTheRequestOfAConnectionThatHadNotSentItYet) {
  auto daemon = start_tcp({"--verbose"});
  auto answered = connect();
  ASSERT_EQ(answered.ask(rcpt_request("192.0.2.161", "s@example.net", "r@term.example")),
            greylist_reply("term.example"));
  auto fresh = connect();
  ASSERT_TRUE(daemon->wait_for_count("connection from 127.0.0.1:", 2)) << daemon->log();  // accepted

  daemon->send_signal(SIGTERM);
  ASSERT_TRUE(daemon->wait_for_log("finishing open requests and stopping")) << daemon->log();
  EXPECT_TRUE(answered.wait_closed(1s)) << "a connection that had its answers is closed at once";
  EXPECT_EQ(fresh.ask(rcpt_request("192.0.2.162", "s@example.net", "r@late.example")), greylist_reply("late.example"));
  EXPECT_TRUE(fresh.wait_closed(1s)) << "closed once answered";
  const auto status = daemon->wait_exit(3s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->exited() && status->code() == 0) << status->describe();
}

// The same, while that request waits on the store (a database another process has locked:
// SQLite's busy timeout holds the batch for a second) past the moment the connection would
// have been closed had it sent nothing: the answer comes, and nothing spins meanwhile.
TEST_F(Connections, SigtermWhileSuchARequestWaitsOnTheStoreAnswersItWithoutSpinning) {
  auto daemon = start_tcp({"--verbose", "--store-timeout=3000", "--store-error-action=tempfail"});
  ASSERT_EQ(connect().ask(rcpt_request("192.0.2.163", "s@example.net", "r@term.example")),
            greylist_reply("term.example"));
  auto fresh = connect();
  ASSERT_TRUE(daemon->wait_for_count("connection from 127.0.0.1:", 2)) << daemon->log();
  SqliteExclusiveLock lock(dbdir() + "/grayling.db");

  daemon->send_signal(SIGTERM);
  ASSERT_TRUE(daemon->wait_for_log("finishing open requests and stopping")) << daemon->log();
  const double cpu_before = cpu_seconds(daemon->pid());
  const auto asked = Clock::now();
  const auto reply = fresh.ask(rcpt_request("192.0.2.164", "s@example.net", "r@locked.example"), 5s);
  const double waited = seconds_since(asked);
  const double cpu = cpu_seconds(daemon->pid()) - cpu_before;
  EXPECT_TRUE(reply.has_value()) << fresh.error();
  EXPECT_GT(waited, 0.5) << "the store answered at once: the wait this test is about did not happen";
  EXPECT_LT(cpu, 0.3) << "the daemon burnt " << cpu << " s of CPU in " << waited << " s of waiting";
  lock.release();
  const auto status = daemon->wait_exit(5s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->exited() && status->code() == 0) << status->describe();
}

}  // namespace
}  // namespace grayling::test
