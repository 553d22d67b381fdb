// Two store threads (two MX hosts) on one real PostgreSQL database: the database's clock
// decides, not the hosts' (which differ by seconds), a database restart is survived, and
// a host's pass cache is bounded so rows deleted elsewhere stop passing.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "grayling/daemon/decision_service.hpp"
#include "grayling/store/postgresql_store.hpp"
#include "support/postgres_server.hpp"

namespace grayling {
namespace {

using namespace std::chrono_literals;

/// One PostgreSQL for the whole binary: starting a cluster takes seconds.
test::PostgresServer& server() {
  static test::PostgresServer instance;
  return instance;
}

TripletLookup lookup(std::string key) {
  TripletLookup result;
  result.key = std::move(key);
  result.recipient_domain = "example.org";
  return result;
}

/// A host: its own clock (real time plus `skew` seconds), store connection and thread.
struct Host {
  Host(const std::string& uri, EpochSeconds skew, EngineSettings settings)
      : service(std::make_unique<PostgresqlStore>(uri), std::make_shared<const PolicyEngine>(settings), StoreSettings{},
                [skew] { return DecisionService::system_clock() + skew; }) {}

  Decision decide(const std::string& key) {
    std::promise<std::vector<Decision>> promise;
    auto future = promise.get_future();
    EXPECT_TRUE(service.submit(service.engine(), {lookup(key)},
                   [&promise](std::vector<Decision> decisions) { promise.set_value(std::move(decisions)); }));
    EXPECT_EQ(future.wait_for(20s), std::future_status::ready);
    return future.get().at(0);
  }

  DecisionService service;
};

class SharedStore : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::PostgresServer::available()) {
      if (test::PostgresServer::required()) FAIL() << test::PostgresServer::unavailable_reason();
      GTEST_SKIP() << test::PostgresServer::unavailable_reason();
    }
    static int databases = 0;
    db_ = "shared" + std::to_string(++databases);
    server().create_database(db_);
    settings_.delay = 2;
    settings_.auto_whitelist_clients = 0;
  }

  [[nodiscard]] std::string uri() const { return server().uri(db_, db_); }

  std::string db_;
  EngineSettings settings_;
};

// mx1's clock is 5 s fast, mx2's 5 s slow. Greylisted at mx1, retried at mx2 2.5 s later:
// on host clocks mx2 would see a first_seen 7.5 s in its future and start over ("new").
TEST_F(SharedStore, TheDatabaseClockDecidesNotTheHosts) {
  Host fast(uri(), +5, settings_);
  Host slow(uri(), -5, settings_);
  EXPECT_EQ(fast.decide("k").reason, "new");
  std::this_thread::sleep_for(2500ms);
  const Decision retry = slow.decide("k");
  EXPECT_EQ(retry.reason, "triplet found");
  ASSERT_TRUE(retry.delay);
  EXPECT_GE(*retry.delay, 2);
  EXPECT_LE(*retry.delay, 3) << "the delay counted on the database's clock";
}

// A pass may be repeated from a host's cache for 10 s at most, not for the hour a
// single-host store allows: a row deleted elsewhere stops passing within that bound.
TEST_F(SharedStore, PassesAreCachedForABoundedTime) {
  Host host(uri(), 0, settings_);
  (void)host.decide("k");
  std::this_thread::sleep_for(2100ms);
  const Decision pass = host.decide("k");
  ASSERT_EQ(pass.reason, "triplet found");
  ASSERT_TRUE(pass.cache_until);
  EXPECT_LE(*pass.cache_until, DecisionService::system_clock() + PostgresqlStore::kPassCacheSeconds);
}

// The database restarts between two batches: the first batch after it fails or
// reconnects, and within a few seconds greylisting goes on with nothing lost.
TEST_F(SharedStore, ADatabaseRestartLosesNothingCommitted) {
  Host host(uri(), 0, settings_);
  EXPECT_EQ(host.decide("before").reason, "new");
  server().restart();
  Decision after;
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  do {
    after = host.decide("after");
    if (after.reason == "store unavailable") std::this_thread::sleep_for(200ms);
  } while (after.reason == "store unavailable" && std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(after.reason, "new") << "greylisting did not resume after the restart";
  std::this_thread::sleep_for(2100ms);
  EXPECT_EQ(host.decide("before").reason, "triplet found") << "a committed triplet was lost";
}

}  // namespace
}  // namespace grayling
