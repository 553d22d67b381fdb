// Hardening: stopping under load. SIGTERM while several clients send new triplets as fast
// as they can: the daemon exits 0, and every triplet a client got a greylist reply for is
// known after a restart (answered means committed). The kill -9 variant is in
// greylisting_test.cpp.
#include <atomic>
#include <csignal>
#include <mutex>
#include <thread>
#include <vector>

#include "acknowledged_load.hpp"
#include "daemon_fixture.hpp"

namespace grayling::test {
namespace {

using std::chrono::system_clock;

class HardeningCrash : public DaemonTest {};

TEST_F(HardeningCrash, SigtermUnderLoadLosesNoAcknowledgedTriplet) {
  constexpr int kSigtermAfter = 200;  // acknowledged replies before the SIGTERM
  auto daemon = start_tcp({"--delay=1"});
  std::vector<PolicyClient> clients;
  for (int c = 0; c < 4; ++c) clients.push_back(connect());
  std::optional<ExitStatus> status;
  const auto load = run_acknowledged_load(clients, "198.51.100", "term.example", 5000, kSigtermAfter, [&] {
    daemon->send_signal(SIGTERM);
    status = daemon->wait_exit(5s);
  });
  const auto stopped_at = system_clock::now();
  ASSERT_TRUE(status) << "daemon still running 5 s after SIGTERM under load";
  EXPECT_TRUE(status->exited() && status->code() == 0) << status->describe();
  EXPECT_TRUE(daemon->wait_for_log("grayling stopped", 0ms));
  ASSERT_GE(load.acks_at_interrupt, kSigtermAfter) << "load too slow to test anything";
  EXPECT_TRUE(load.unexpected.empty()) << load.unexpected.front();
  // Each client ends on a closed connection (EOF, reset or broken pipe), never a timeout.
  for (const auto& why : load.endings) {
    EXPECT_TRUE(why == "connection closed by peer" || why.find("reset") != std::string::npos ||
                why.find("Broken pipe") != std::string::npos)
        << "a client ended otherwise: " << why;
  }
  RecordProperty("acknowledged_before_stop", static_cast<int>(load.acknowledged.size()));
  RecordProperty("acknowledged_after_sigterm", static_cast<int>(load.acknowledged.size()) - load.acks_at_interrupt);

  auto restarted = start_tcp({"--delay=1"});
  sleep_until(stopped_at, 1100ms);  // every acknowledged triplet is now over its delay
  auto client = connect();
  expect_every_acknowledged_triplet_passes(client, load.acknowledged, "SIGTERM");
  EXPECT_TRUE(restarted->wait_for_count("action=pass, reason=triplet found, delay=", load.acknowledged.size()));
  EXPECT_EQ(restarted->count_in_log("action=pass, reason=triplet found, delay="), load.acknowledged.size());
  EXPECT_EQ(restarted->count_in_log("reason=new"), 0u);
}

}  // namespace
}  // namespace grayling::test
