// Hardening: stopping under load. SIGTERM while several clients send new triplets as fast
// as they can: the daemon exits 0, and every triplet a client got a greylist reply for is
// known after a restart (answered means committed). The kill -9 variant is in
// greylisting_test.cpp.
#include <atomic>
#include <csignal>
#include <mutex>
#include <thread>
#include <vector>

#include "daemon_fixture.hpp"

namespace grayling::test {
namespace {

using std::chrono::system_clock;

class HardeningCrash : public DaemonTest {};

TEST_F(HardeningCrash, SigtermUnderLoadLosesNoAcknowledgedTriplet) {
  constexpr int kConnections = 4;
  constexpr int kMaxPerConnection = 5000;  // a bound; SIGTERM comes long before
  constexpr int kSigtermAfter = 200;       // acknowledged replies before the SIGTERM
  auto daemon = start_tcp({"--delay=1"});

  auto triplet = [](int connection, int i) {
    return rcpt_request("198.51.100." + std::to_string(connection + 1), "sender" + std::to_string(i) + "@example.net",
                        "rcpt" + std::to_string(connection) + "-" + std::to_string(i) + "@term.example");
  };
  std::mutex mutex;
  std::vector<std::string> acknowledged;  // requests whose greylist reply we read
  std::vector<std::string> unexpected;
  std::vector<std::string> endings;       // why each worker stopped
  std::atomic<int> acks{0};
  std::vector<PolicyClient> clients;
  for (int c = 0; c < kConnections; ++c) clients.push_back(connect());
  std::vector<std::thread> workers;
  for (int c = 0; c < kConnections; ++c) {
    workers.emplace_back([&, c] {
      for (int i = 0; i < kMaxPerConnection; ++i) {
        const std::string request = triplet(c, i);
        const auto reply = clients[c].ask(request, 5s);
        std::lock_guard lock(mutex);
        if (!reply) {  // the daemon has stopped: a closed connection, never a hang
          endings.push_back(clients[c].error());
          return;
        }
        if (*reply == greylist_reply("term.example")) {
          acknowledged.push_back(request);
          ++acks;
        } else {
          unexpected.push_back(*reply);
        }
      }
      std::lock_guard lock(mutex);
      endings.push_back("ran out of requests before the SIGTERM took effect");
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (acks.load() < kSigtermAfter && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  const int acks_at_signal = acks.load();
  daemon->send_signal(SIGTERM);
  const auto status = daemon->wait_exit(5s);
  for (auto& worker : workers) worker.join();
  const auto stopped_at = system_clock::now();
  ASSERT_TRUE(status) << "daemon still running 5 s after SIGTERM under load";
  EXPECT_TRUE(status->exited() && status->code() == 0) << status->describe();
  EXPECT_TRUE(daemon->wait_for_log("grayling stopped", 0ms));
  ASSERT_GE(acks_at_signal, kSigtermAfter) << "load too slow to test anything";
  EXPECT_TRUE(unexpected.empty()) << unexpected.front();
  // Each worker ends on a closed connection (EOF, reset or broken pipe), never a timeout.
  for (const auto& why : endings) {
    EXPECT_TRUE(why == "connection closed by peer" || why.find("reset") != std::string::npos ||
                why.find("Broken pipe") != std::string::npos)
        << "a worker ended otherwise: " << why;
  }
  RecordProperty("acknowledged_before_stop", static_cast<int>(acknowledged.size()));
  RecordProperty("acknowledged_after_sigterm", static_cast<int>(acknowledged.size()) - acks_at_signal);

  auto restarted = start_tcp({"--delay=1"});
  sleep_until(stopped_at, 1100ms);  // every acknowledged triplet is now over its delay
  auto client = connect();
  std::string pipelined;
  for (const auto& request : acknowledged) pipelined += request;
  ASSERT_TRUE(client.send(pipelined, 10s));
  const auto replies = client.read_replies(acknowledged.size(), 10s);
  ASSERT_EQ(replies.size(), acknowledged.size()) << client.error();
  std::size_t lost = 0;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    if (!IsFirstPass(replies[i])) {  // each request is its own message: each gets the header
      ++lost;
      ADD_FAILURE() << "acknowledged triplet lost by SIGTERM: " << acknowledged[i] << "reply: " << replies[i];
      if (lost > 5) break;
    }
  }
  EXPECT_TRUE(restarted->wait_for_count("action=pass, reason=triplet found, delay=", acknowledged.size()));
  EXPECT_EQ(restarted->count_in_log("action=pass, reason=triplet found, delay="), acknowledged.size());
  EXPECT_EQ(restarted->count_in_log("reason=new"), 0u);
}

}  // namespace
}  // namespace grayling::test
