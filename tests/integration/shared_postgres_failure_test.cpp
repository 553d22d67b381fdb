// Two daemons on one PostgreSQL when things go wrong: the database crashes and comes back
// under load, and one daemon is killed with SIGKILL under load. Requests are answered per
// --store-error-action within --store-timeout meanwhile, each daemon logs the outage once
// and the recovery once, and nothing acknowledged is lost.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <functional>
#include <thread>
#include <vector>

#include "acknowledged_load.hpp"
#include "shared_postgres_fixture.hpp"
#include "support/pg_pooler.hpp"

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

// A failover between two servers named in one --store (a host list with
// target_session_attrs=read-write, as Patroni or repmgr setups use): the primary is
// demoted to read-only while grayling is connected to it and the other server becomes
// writable. grayling finds the new primary by itself. (Two independent servers stand in
// for a replicated pair: what is tested is how grayling follows the roles.)
TEST_F(SharedPostgres, AFailoverToTheOtherServerOfTheHostListIsFollowed) {
  PostgresServer other;
  other.create_database(db_);
  const auto set_read_only = [](PostgresServer& server, bool read_only) {
    (void)server.psql(std::string("ALTER SYSTEM SET default_transaction_read_only = ") + (read_only ? "on" : "off"),
                      "postgres");
    (void)server.psql("SELECT pg_reload_conf()", "postgres");
  };
  set_read_only(other, true);  // a standby, as libpq sees it
  const std::string hosts = "postgresql://" + db_ + "@127.0.0.1:" + std::to_string(postgres_server().port()) +
                            ",127.0.0.1:" + std::to_string(other.port()) + "/" + db_ +
                            "?target_session_attrs=read-write";
  auto daemon = start_tcp({"--delay=1", "--store-timeout=1000", "--store=" + hosts});
  auto client = connect();
  const std::string greylisted = greylist_reply("failover.example");
  int sent = 0;
  const auto next_request = [&] {
    return rcpt_request("192.0.2.77", "s" + std::to_string(sent++) + "@example.net", "r@failover.example");
  };
  ASSERT_EQ(client.ask(next_request()), greylisted);
  EXPECT_EQ(sql("SELECT count(*) FROM grayling_triplets"), "1");

  // The server is shared by every test of this process: writable again afterwards.
  struct Restore {
    std::function<void()> undo;
    ~Restore() { undo(); }
  } restore{[&] { set_read_only(postgres_server(), false); }};
  set_read_only(postgres_server(), true);  // the old primary, demoted
  set_read_only(other, false);             // the new one, promoted
  std::optional<std::string> reply;
  int fail_open = 0;
  const auto deadline = Clock::now() + 20s;
  do {
    std::this_thread::sleep_for(20ms);
    reply = client.ask(next_request(), 5s);
    fail_open += reply == kDunnoReply;
  } while (reply != greylisted && reply && Clock::now() < deadline);
  EXPECT_EQ(reply, greylisted) << "grayling did not follow the failover within 20 s";
  EXPECT_LE(fail_open, 3) << "requests failed open while grayling looked for the primary";
  EXPECT_TRUE(daemon->wait_for_log("PostgreSQL is back (127.0.0.1:" + std::to_string(other.port())));
  EXPECT_EQ(daemon->count_in_log("lost PostgreSQL"), 1U);
  EXPECT_NE(other.psql("SELECT count(*) FROM grayling_triplets", db_), "0");
}

// A database that stalls (a long lock on the table grayling writes) is answered per
// --store-error-action within --store-timeout, and greylisting resumes when it moves on.
TEST_F(SharedPostgres, AStalledDatabaseIsAnsweredWithinTheStoreTimeout) {
  auto daemon = start_first({"--delay=1", "--store-timeout=500", "--store-error-action=tempfail"});
  auto client = connect();
  const std::string greylisted = greylist_reply("stall.example");
  ASSERT_EQ(client.ask(rcpt_request("192.0.2.78", "first@example.net", "r@stall.example")), greylisted);

  std::jthread locker([this] { (void)sql("BEGIN; LOCK TABLE grayling_triplets; SELECT pg_sleep(3); COMMIT;"); });
  std::this_thread::sleep_for(500ms);  // the lock is taken
  const auto sent = Clock::now();
  const auto reply = client.ask(rcpt_request("192.0.2.78", "stalled@example.net", "r@stall.example"), 5s);
  const double waited = std::chrono::duration<double>(Clock::now() - sent).count();
  ASSERT_TRUE(reply) << client.error();
  EXPECT_EQ(*reply, "action=451 4.3.0 Greylisting temporarily unavailable, please try again later\n\n");
  EXPECT_LE(waited, 1.5) << "--store-timeout is 0.5 s";
  locker.join();
  // The stalled write commits once the lock is gone; new requests are greylisted again.
  EXPECT_EQ(client.ask(rcpt_request("192.0.2.78", "after@example.net", "r@stall.example"), 5s), greylisted);
  EXPECT_EQ(sql("SELECT count(*) FROM grayling_triplets"), "3");
}

// A pooler in transaction mode between grayling and PostgreSQL (PgBouncer's
// pool_mode=transaction) may serve a transaction from another server session than the
// last, one without the statements grayling prepared; DEALLOCATE ALL leaves grayling's
// own session without them. Either way no request fails open, and nothing is logged.
TEST_F(SharedPostgres, ServerSessionsThatLoseThePreparedStatementsFailNoRequest) {
  PgPooler pooler(postgres_server().port());
  auto daemon = start_tcp({"--delay=1", "--store-error-action=dunno",
                           "--store=postgresql://" + db_ + "@127.0.0.1:" + std::to_string(pooler.port()) + "/" + db_});
  auto client = connect();
  const std::string greylisted = greylist_reply("pooler.example");
  const auto request = [](int i) {
    return rcpt_request("192.0.2.79", "s" + std::to_string(i) + "@example.net", "r@pooler.example");
  };
  ASSERT_EQ(client.ask(request(0)), greylisted);
  for (int i = 1; i <= 6; ++i) {
    if (i % 2 == 1) {
      pooler.switch_sessions();
    } else {
      pooler.run_between("DEALLOCATE ALL");
    }
    EXPECT_EQ(client.ask(request(i), 5s), greylisted) << "request " << i;
  }
  EXPECT_EQ(pooler.sessions_opened(), 4) << "one, and one per switch";
  EXPECT_EQ(pooler.commands_run(), 3);
  EXPECT_EQ(sql("SELECT count(*) FROM grayling_triplets"), "7");
  EXPECT_EQ(daemon->count_in_log("store error"), 0U);
}

}  // namespace
}  // namespace grayling::test
