// A store that hangs (here PostgreSQL, its table locked by an administrator's session):
// every connection is answered per --store-error-action within --store-timeout, but the
// work waiting for the store must stay bounded, one job per connection at most, however
// long the hang lasts and however fast the connections ask; and SIGTERM must end the
// daemon within a bounded time even while the store still hangs.
#include <csignal>
#include <fstream>
#include <iostream>
#include <thread>
#include <vector>

#include "shared_postgres_fixture.hpp"
#include "support/http_client.hpp"

namespace grayling::test {
namespace {

using Clock = std::chrono::steady_clock;

class StalledStore : public SharedPostgres {
 protected:
  /// Holds an exclusive lock on grayling's triplet table for `seconds`, from a session
  /// of the administrator's, on a thread of its own; ended early by release().
  void lock_triplets_for(int seconds) {
    locker_ = std::jthread([this, seconds] {
      try {
        (void)sql("BEGIN; LOCK TABLE grayling_triplets; SELECT pg_sleep(" + std::to_string(seconds) + "); COMMIT;");
      } catch (const std::runtime_error&) {
        // ended by release(): pg_terminate_backend makes psql fail, as it should
      }
    });
    // Taken once the session shows up waiting in pg_sleep.
    for (int i = 0; i < 100; ++i) {
      if (sql("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()") ==
          "1") {
        return;
      }
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "the lock was not taken";
  }
  void release() {
    (void)sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep%' AND pid <> "
              "pg_backend_pid()");
    locker_ = {};
  }
  void TearDown() override {
    if (locker_.joinable()) release();
    SharedPostgres::TearDown();
  }

  std::jthread locker_;
};

/// A /proc/PID/status field in kB ("VmRSS", "VmHWM"), or -1.
long status_kb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(field + ":")) return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}

/// The value of `series` in a Prometheus scrape, or -1.
double sample(const std::string& scrape, const std::string& series) {
  const auto at = scrape.find("\n" + series + " ");
  return at == std::string::npos ? -1 : std::stod(scrape.substr(at + series.size() + 2));
}

/// `n` in letters ("a", "b", ... "ba"): numbers in addresses are normalised away.
std::string letters(int n) {
  std::string text;
  do {
    text.insert(text.begin(), static_cast<char>('a' + n % 26));
    n /= 26;
  } while (n > 0);
  return text;
}

TEST_F(StalledStore, TwoHundredConnectionsQueueAtMostOneJobEach) {
  const std::uint16_t metrics_port = free_tcp_port();
  auto daemon = start_first({"--delay=1", "--store-timeout=200", "--store-error-action=dunno",
                             "--metrics=" + std::to_string(metrics_port)});
  auto first = connect();
  ASSERT_EQ(first.ask(rcpt_request("192.0.2.90", "first@example.net", "r@stall.example")),
            greylist_reply("stall.example"));
  constexpr int kConnections = 200;
  std::vector<PolicyClient> clients;
  for (int i = 0; i < kConnections; ++i) clients.push_back(connect());
  const long rss_before = status_kb(daemon->pid(), "VmRSS");

  lock_triplets_for(30);
  int rounds = 0, answered = 0, failed_open = 0;
  double max_queue = -1;
  double slowest = 0;
  const auto stall_ends = Clock::now() + 6s;
  while (Clock::now() < stall_ends) {
    // Every connection asks at once, as fast as it is answered: a new triplet each time.
    for (int i = 0; i < kConnections; ++i) {
      ASSERT_TRUE(clients[i].send(rcpt_request("192.0.2.1", "s" + std::to_string(rounds) + "@example.net",
                                               "r" + letters(i) + "@stall.example")));
    }
    const auto sent = Clock::now();
    for (auto& client : clients) {
      const auto reply = client.read_reply(3s);
      ASSERT_TRUE(reply) << "round " << rounds << ": " << client.error();
      ++answered;
      failed_open += *reply == kDunnoReply;
    }
    slowest = std::max(slowest, std::chrono::duration<double>(Clock::now() - sent).count());
    max_queue = std::max(max_queue, sample(http_exchange(metrics_port, "GET", "/metrics"),
                                           "grayling_store_queue_requests"));
    ++rounds;
  }
  const long rss_stalled = status_kb(daemon->pid(), "VmRSS");
  release();
  std::cout << "stalled store, " << kConnections << " connections, " << rounds << " rounds, " << answered
            << " requests: RSS " << rss_before << " kB before, " << rss_stalled << " kB after 6 s, queue at most "
            << max_queue << " requests\n";
  RecordProperty("rss_growth_kb", std::to_string(rss_stalled - rss_before));

  EXPECT_EQ(failed_open, answered) << "every request of the stall fails open";
  EXPECT_LT(slowest, 1.5) << "a round of 200 answers took longer than --store-timeout and slack";
  EXPECT_GE(rounds, 5);
  EXPECT_GE(max_queue, 1);
  EXPECT_LE(max_queue, kConnections) << "more than one job per connection waited for the store";
  // What was queued is saved once the lock is gone: one job per connection, not one
  // per request the stall answered.
  auto after = connect();
  for (int i = 0; i < 100; ++i) {
    if (after.ask(rcpt_request("192.0.2.91", "after@example.net", "r@stall.example")) ==
        greylist_reply("stall.example")) {
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  const int rows = std::stoi(sql("SELECT count(*) FROM grayling_triplets"));
  std::cout << "rows saved: " << rows << "\n";
  EXPECT_LE(rows, 2 + 2 * kConnections) << "the store saved the jobs of " << rows << " of " << answered
                                        << " stalled requests: they had queued";
  EXPECT_GE(rows, 2);
}

TEST_F(StalledStore, SigtermEndsTheDaemonWhileTheStoreHangs) {
  auto daemon = start_first({"--delay=1", "--store-timeout=300", "--store-error-action=dunno"});
  auto client = connect();
  ASSERT_EQ(client.ask(rcpt_request("192.0.2.92", "first@example.net", "r@stall.example")),
            greylist_reply("stall.example"));
  lock_triplets_for(60);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(client.ask(rcpt_request("192.0.2.92", "s" + std::to_string(i) + "@example.net", "r@stall.example"), 2s),
              kDunnoReply);
  }
  const auto signalled = Clock::now();
  daemon->send_signal(SIGTERM);
  const auto status = daemon->wait_exit(25s);
  ASSERT_TRUE(status) << "still running 25 s after SIGTERM, the store hanging";
  const double took = std::chrono::duration<double>(Clock::now() - signalled).count();
  EXPECT_LT(took, 16.0) << "a stop gives the store 10 s after its clients";
  EXPECT_GE(took, 9.0) << "the store was given less than its 10 s";
  EXPECT_TRUE(status->exited() && status->code() == 1) << status->describe();
  EXPECT_NE(daemon->log().find("the store did not finish within 10 s: stopping without it"), std::string::npos);
  EXPECT_TRUE(client.wait_closed(1s));
}

}  // namespace
}  // namespace grayling::test
