// Two daemons on one PostgreSQL when things go wrong: the database crashes and comes back
// under load, and one daemon is killed with SIGKILL under load. Requests are answered per
// --store-error-action within --store-timeout meanwhile, each daemon logs the outage once
// and the recovery once, and nothing acknowledged is lost.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <thread>
#include <vector>

#include "acknowledged_load.hpp"
#include "shared_postgres_fixture.hpp"

namespace grayling::test {
namespace {

using Clock = std::chrono::steady_clock;

/// One client's run of new triplets, one request at a time, until told to stop.
struct Prober {
  Prober(PolicyClient connected, std::string client_address)
      : client(std::move(connected)), network(std::move(client_address)) {}

  PolicyClient client;
  std::string network;
  std::vector<std::string> acknowledged;  // answered with the greylist reply
  int fail_open = 0;                      // answered DUNNO: the store was unusable
  std::vector<std::string> unexpected;
  std::string error;                      // why it stopped early, if it did
  double slowest_s = 0;
  std::atomic<bool> greylisting{true};    // its last answer was a greylist one

  void run(const std::atomic<bool>& stop) {
    const std::string greylisted = greylist_reply("outage.example");
    for (int i = 0; !stop && i < 100000; ++i) {
      const std::string request =
          rcpt_request(network, "s" + std::to_string(i) + "@example.net", "r@outage.example");
      const auto sent = Clock::now();
      const auto reply = client.ask(request, 10s);
      slowest_s = std::max(slowest_s, std::chrono::duration<double>(Clock::now() - sent).count());
      if (!reply) {
        error = client.error();
        return;
      }
      if (*reply == greylisted) {
        acknowledged.push_back(request);
      } else if (*reply == kDunnoReply) {
        ++fail_open;
      } else {
        unexpected.push_back(*reply);
      }
      greylisting = *reply == greylisted;
      std::this_thread::sleep_for(5ms);  // a steady trickle, not a flood
    }
  }
};

// The database crashes (SIGKILL of the postmaster: no shutdown, only what the WAL holds)
// while both daemons are busy, stays down 3 s, and comes back.
TEST_F(SharedPostgres, TheDatabaseCrashingUnderLoadFailsOpenAndRecoversLosingNothing) {
  const std::vector<std::string> options{"--delay=1", "--store-timeout=1000", "--store-error-action=dunno"};
  auto first_daemon = start_first(options);
  auto second_daemon = start_second(options);
  // Clients in networks of their own: each prober's triplets are its alone.
  Prober probers[2] = {{connect(), "192.0.2.81"}, {connect_second(), "198.51.100.82"}};
  std::atomic<bool> stop{false};
  std::vector<std::jthread> workers;
  for (auto& prober : probers) workers.emplace_back([&prober, &stop] { prober.run(stop); });

  std::this_thread::sleep_for(1s);
  postgres_server().kill_hard();
  std::this_thread::sleep_for(3s);
  postgres_server().start();
  // Each daemon retries with a backoff of 1, 2, 4 ... s: back within seconds.
  const auto back_by = Clock::now() + 40s;
  const auto both_greylisting = [&] {
    return std::all_of(std::begin(probers), std::end(probers), [](const Prober& p) { return p.greylisting.load(); });
  };
  while (!both_greylisting() && Clock::now() < back_by) std::this_thread::sleep_for(50ms);
  std::this_thread::sleep_for(500ms);
  stop = true;
  workers.clear();

  for (int side = 0; side < 2; ++side) {
    const Prober& prober = probers[side];
    SCOPED_TRACE("daemon " + std::to_string(side + 1));
    EXPECT_TRUE(prober.error.empty()) << prober.error;
    EXPECT_TRUE(prober.unexpected.empty()) << prober.unexpected.front();
    EXPECT_GT(prober.fail_open, 0) << "no request was answered during the outage";
    EXPECT_TRUE(prober.greylisting) << "still failing open 40 s after the database came back";
    // --store-timeout is 1 s; a second more for scheduling on a loaded machine.
    EXPECT_LE(prober.slowest_s, 2.0);
  }
  for (auto* daemon : {first_daemon.get(), second_daemon.get()}) {
    EXPECT_EQ(daemon->count_in_log("lost PostgreSQL"), 1U);
    EXPECT_EQ(daemon->count_in_log("PostgreSQL is back"), 1U);
  }
  // Everything acknowledged survived the crash: each passes at the other daemon.
  std::this_thread::sleep_for(1100ms);
  auto at_second = connect_second();
  auto at_first = connect();
  expect_every_acknowledged_triplet_passes(at_second, probers[0].acknowledged, "a database crash");
  expect_every_acknowledged_triplet_passes(at_first, probers[1].acknowledged, "a database crash");
}

// One daemon is SIGKILLed in the middle of its batches, rows locked: the other goes on
// answering at once (the database ends the dead daemon's transaction), nothing either
// acknowledged is lost, and the killed one starts again on the same database.
TEST_F(SharedPostgres, ADaemonKilledUnderLoadLeavesTheOtherWorkingAndLosesNothing) {
  auto first_daemon = start_first({"--delay=1"});
  auto second_daemon = start_second({"--delay=1"});
  std::vector<PolicyClient> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(connect());
  for (int i = 0; i < 3; ++i) clients.push_back(connect_second());
  const auto load = run_acknowledged_load(clients, "198.18.9", "killed.example", 150, 120,
                                          [&] { first_daemon->send_signal(SIGKILL); });
  EXPECT_TRUE(load.unexpected.empty()) << load.unexpected.front();
  // The first daemon's three clients lost their connection; the second's ran to the end.
  EXPECT_EQ(std::count(load.endings.begin(), load.endings.end(),
                       "ran out of requests before the interruption took effect"),
            3);
  EXPECT_EQ(second_daemon->count_in_log("error"), 0U) << second_daemon->log();

  std::this_thread::sleep_for(1100ms);
  auto at_second = connect_second();
  expect_every_acknowledged_triplet_passes(at_second, load.acknowledged, "killing one daemon");

  // The killed daemon comes back on the same database and sees what was passed meanwhile.
  first_daemon->wait_exit(5s);
  auto restarted = start_first({"--delay=1"});
  auto at_first = connect();
  ASSERT_FALSE(load.acknowledged.empty());
  EXPECT_EQ(at_first.ask(load.acknowledged.front()), kDunnoReply);
}

}  // namespace
}  // namespace grayling::test
