// The store thread: group commit, replies only after commit, fail-open on store errors,
// bounded expiry — with an injected clock and real stores.
#include "grayling/daemon/decision_service.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <future>
#include <sstream>
#include <thread>

#include "grayling/store/memory_store.hpp"
#include "grayling/store/sqlite_store.hpp"

namespace grayling {
namespace {

using namespace std::chrono_literals;

/// A MemoryStore whose commits can be made to fail, and which records the order of events.
class FlakyStore final : public Store {
 public:
  std::atomic<bool> fail_commits{false};
  std::atomic<int> conflicts{0};  // the next N commits lose to another writer
  std::atomic<int> commits{0};
  std::atomic<int> loads{0};
  std::atomic<int> saves{0};

  void begin() override { inner_.begin(); }
  void commit() override {
    if (fail_commits) throw StoreError("disk full (injected)");
    if (conflicts > 0) {
      --conflicts;
      throw StoreConflict("could not serialize access due to concurrent update (injected)");
    }
    inner_.commit();
    ++commits;
  }
  void rollback() noexcept override { inner_.rollback(); }
  std::function<void()> on_first_load;  // runs inside the first load(), on the store thread
  std::atomic<int> chained{0};          // commits that carried the next batch's load
  Records load(const RecordKeys& keys) override {
    if (loads++ == 0 && on_first_load) on_first_load();
    return inner_.load(keys);
  }
  std::optional<Records> commit_and_load(const RecordKeys& next) override {
    ++chained;
    return Store::commit_and_load(next);  // the commit goes through commit() above
  }
  void save(const Writes& writes) override {
    ++saves;
    inner_.save(writes);
  }
  std::size_t expire(const ExpiryCutoffs& cutoffs, std::size_t max_rows) override {
    return inner_.expire(cutoffs, max_rows);
  }
  std::vector<TripletRow> triplet_rows(std::int64_t from_id, std::size_t limit) override {
    return inner_.triplet_rows(from_id, limit);
  }
  std::vector<ClientRow> client_rows(std::int64_t from_id, std::size_t limit) override {
    return inner_.client_rows(from_id, limit);
  }
  void merge(const std::vector<TripletRow>& triplets, const std::vector<ClientRow>& clients) override {
    inner_.merge(triplets, clients);
  }
  std::size_t remove(const std::vector<std::int64_t>& triplet_ids, const std::vector<std::int64_t>& client_ids) override {
    return inner_.remove(triplet_ids, client_ids);
  }
  StoreStats stats(const ExpiryCutoffs& cutoffs) override { return inner_.stats(cutoffs); }
  std::size_t triplet_count() override { return inner_.triplet_count(); }
  std::size_t client_count() override { return inner_.client_count(); }

 private:
  MemoryStore inner_;
};

TripletLookup lookup(std::string key) {
  TripletLookup result;
  result.key = std::move(key);
  result.client_key = "192.0.2.7";
  result.recipient_domain = "example.org";
  return result;
}

std::vector<Decision> decide(DecisionService& service, std::vector<TripletLookup> lookups) {
  std::promise<std::vector<Decision>> promise;
  auto future = promise.get_future();
  EXPECT_TRUE(service.submit(service.engine(), std::move(lookups),
                 [&promise](std::vector<Decision> decisions) { promise.set_value(std::move(decisions)); }));
  EXPECT_EQ(future.wait_for(10s), std::future_status::ready);
  return future.get();
}

struct Fixture {
  explicit Fixture(StoreSettings settings = {}) {
    auto owned = std::make_unique<FlakyStore>();
    store = owned.get();
    service = std::make_unique<DecisionService>(std::move(owned), std::make_shared<const PolicyEngine>(EngineSettings{}),
                                                settings, [this] { return now.load(); });
  }
  std::atomic<EpochSeconds> now{1'700'000'000};
  FlakyStore* store = nullptr;
  std::unique_ptr<DecisionService> service;
};

TEST(DecisionService, DecidesInOrderAndRemembers) {
  Fixture f;
  auto first = decide(*f.service, {lookup("a"), lookup("b")});
  ASSERT_EQ(first.size(), 2U);
  EXPECT_EQ(first[0].reason, "new");
  EXPECT_EQ(first[1].reason, "new");
  f.now += 301;
  auto second = decide(*f.service, {lookup("b"), lookup("c")});
  EXPECT_EQ(second[0].reason, "triplet found");
  EXPECT_EQ(second[1].reason, "new");
}

TEST(DecisionService, ConcurrentSubmissionsAreGroupCommitted) {
  Fixture f;
  constexpr int kRequests = 2000;
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRequests / 4; ++i) {
        EXPECT_TRUE(f.service->submit(f.service->engine(), {lookup("k" + std::to_string(t) + "-" + std::to_string(i))},
                                      [&done](std::vector<Decision>) { ++done; }));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int i = 0; i < 1000 && done < kRequests; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(done, kRequests);
  EXPECT_EQ(f.store->triplet_count(), static_cast<std::size_t>(kRequests));
  EXPECT_LT(f.store->commits, kRequests);  // batched: fewer commits than requests
}

// A batch that queues while another is being decided begins with that one's commit (for
// a networked store, in its round trip); a conflict at that commit reruns the first
// batch alone, and the second is still decided, once.
TEST(DecisionService, ABatchQueuedMeanwhileIsLoadedWithTheCommitBeforeIt) {
  for (const int conflicts : {0, 1}) {
    SCOPED_TRACE(conflicts ? "a conflict at the chained commit" : "no conflict");
    Fixture f;
    f.store->conflicts = conflicts;
    std::promise<std::vector<Decision>> second;
    f.store->on_first_load = [&] {
      EXPECT_TRUE(f.service->submit(f.service->engine(), {lookup("b"), lookup("a")},
                                    [&](std::vector<Decision> decisions) { second.set_value(std::move(decisions)); }));
    };
    // Answered (on the store thread, no dispatcher) before the second batch is decided:
    // five seconds pass in between.
    std::promise<std::vector<Decision>> answered;
    EXPECT_TRUE(f.service->submit(f.service->engine(), {lookup("a")}, [&](std::vector<Decision> decisions) {
      f.now += 5;
      answered.set_value(std::move(decisions));
    }));
    auto answer = answered.get_future();
    ASSERT_EQ(answer.wait_for(10s), std::future_status::ready);
    const auto first = answer.get();
    ASSERT_EQ(first.size(), 1U);
    EXPECT_EQ(first[0].reason, "new");
    auto later = second.get_future();
    ASSERT_EQ(later.wait_for(10s), std::future_status::ready);
    const auto decisions = later.get();
    ASSERT_EQ(decisions.size(), 2U);
    EXPECT_EQ(decisions[0].reason, "new");
    EXPECT_EQ(decisions[1].reason, "early-retry (295s missing)");  // it saw the first batch's write
    EXPECT_EQ(f.store->chained, 1);
    EXPECT_EQ(f.store->commits, 2);
    EXPECT_EQ(f.store->triplet_count(), 2U);
  }
}

TEST(DecisionService, CompletionRunsOnlyAfterTheCommit) {
  Fixture f;
  int commits_seen = -1;
  std::promise<void> finished;
  EXPECT_TRUE(f.service->submit(f.service->engine(), {lookup("a")}, [&](std::vector<Decision>) {
    commits_seen = f.store->commits;
    finished.set_value();
  }));
  ASSERT_EQ(finished.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(commits_seen, 1);
}

TEST(DecisionService, StoreFailureFailsOpenAndRecovers) {
  Fixture f;
  f.store->fail_commits = true;
  auto failed = decide(*f.service, {lookup("a")});
  EXPECT_EQ(failed[0].action, "DUNNO");
  EXPECT_EQ(failed[0].reason, "store unavailable");
  EXPECT_EQ(f.store->triplet_count(), 0U);  // rolled back
  f.store->fail_commits = false;
  EXPECT_EQ(decide(*f.service, {lookup("a")})[0].reason, "new");
}

TEST(DecisionService, StoreFailureCanTempfail) {
  StoreSettings settings;
  settings.on_error = StoreErrorAction::tempfail;
  Fixture f(settings);
  f.store->fail_commits = true;
  auto failed = decide(*f.service, {lookup("a")});
  EXPECT_EQ(failed[0].action.rfind("451 4.3.0", 0), 0U) << failed[0].action;
}

TEST(DecisionService, ExpiryRunsInBatchesWhenDue) {
  StoreSettings settings;
  settings.expiry_interval_seconds = 3600;
  settings.expiry_batch_rows = 7;
  Fixture f(settings);
  std::vector<TripletLookup> many;
  for (int i = 0; i < 50; ++i) many.push_back(lookup("k" + std::to_string(i)));
  (void)decide(*f.service, many);  // 50 pending triplets
  EXPECT_EQ(f.store->triplet_count(), 50U);
  f.now += 3 * 86400;  // past the retry window and the expiry interval
  for (int i = 0; i < 500 && f.store->triplet_count() > 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(f.store->triplet_count(), 0U);
}

TEST(DecisionService, ExpiryRunIsLoggedWithRowsAndTime) {
  std::ostringstream captured;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(captured)));
  {
    StoreSettings settings;
    settings.expiry_batch_rows = 7;
    Fixture f(settings);
    std::vector<TripletLookup> many;
    for (int i = 0; i < 20; ++i) many.push_back(lookup("k" + std::to_string(i)));
    (void)decide(*f.service, many);
    f.now += 3 * 86400;
    for (int i = 0; i < 500 && captured.str().find("expiry: removed") == std::string::npos; ++i) {
      std::this_thread::sleep_for(10ms);
      spdlog::default_logger()->flush();
    }
    f.service->stop();
  }
  spdlog::set_default_logger(previous);
  EXPECT_NE(captured.str().find("expiry: removed 20 rows in "), std::string::npos) << captured.str();
  EXPECT_NE(captured.str().find(" ms"), std::string::npos);
}

TEST(DecisionService, StopDrainsQueuedWork) {
  Fixture f;
  std::atomic<int> done{0};
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(
        f.service->submit(f.service->engine(), {lookup("k" + std::to_string(i))}, [&](std::vector<Decision>) { ++done; }));
  }
  f.service->stop();
  EXPECT_EQ(done, 100);
  EXPECT_EQ(f.store->triplet_count(), 100U);
}

/// Holds the store thread inside its first load() until release(): a store that hangs.
class StoreHold {
 public:
  explicit StoreHold(FlakyStore& store) : released_(release_.get_future().share()) {
    store.on_first_load = [this] {
      loaded_.set_value();
      released_.wait();
    };
  }
  ~StoreHold() { release(); }
  /// Whether the store thread got there (within 10 s).
  bool reached() { return loaded_future_.wait_for(10s) == std::future_status::ready; }
  void release() {
    if (!released_flag_.exchange(true)) release_.set_value();
  }

 private:
  std::promise<void> loaded_;
  std::future<void> loaded_future_ = loaded_.get_future();
  std::promise<void> release_;
  std::shared_future<void> released_;
  std::atomic<bool> released_flag_{false};
};

// A store that hangs must not grow the queue without bound: past kMaxQueuedLookups a
// submission is refused (the caller answers at once), and what was queued is decided
// once the store moves again.
TEST(DecisionService, AStalledStoreQueuesAtMostTheCap) {
  Fixture f;
  StoreHold hold(*f.store);
  std::atomic<std::size_t> done{0};
  ASSERT_TRUE(f.service->submit(f.service->engine(), {lookup("stalled")}, [&](std::vector<Decision>) { ++done; }));
  ASSERT_TRUE(hold.reached());  // the store thread now hangs
  std::size_t accepted = 0;
  std::size_t refused = 0;
  for (std::size_t i = 0; i < DecisionService::kMaxQueuedLookups / 8 + 100; ++i) {
    std::vector<TripletLookup> eight;
    for (int j = 0; j < 8; ++j) eight.push_back(lookup("k" + std::to_string(i) + "-" + std::to_string(j)));
    if (f.service->submit(f.service->engine(), std::move(eight), [&](std::vector<Decision>) { ++done; })) {
      ++accepted;
    } else {
      ++refused;
    }
  }
  EXPECT_EQ(accepted, DecisionService::kMaxQueuedLookups / 8);
  EXPECT_EQ(refused, 100U);
  EXPECT_EQ(f.service->queued_lookups(), DecisionService::kMaxQueuedLookups);
  hold.release();
  for (int i = 0; i < 1000 && done < accepted + 1; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(done, accepted + 1);
  EXPECT_EQ(f.service->queued_lookups(), 0U);
}

// SIGTERM must end the daemon even when the store hangs: stop_within() gives up on the
// store thread at its limit, and stop() still finishes the work once the store moves.
TEST(DecisionService, StopWithinGivesUpOnAStoreThatHangs) {
  Fixture f;
  StoreHold hold(*f.store);
  std::atomic<int> done{0};
  ASSERT_TRUE(f.service->submit(f.service->engine(), {lookup("stalled")}, [&](std::vector<Decision>) { ++done; }));
  ASSERT_TRUE(hold.reached());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(f.service->stop_within(300ms));
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 300ms);
  EXPECT_LT(waited, 3s);
  hold.release();
  f.service->stop();
  EXPECT_EQ(done, 1);
  EXPECT_TRUE(f.service->stop_within(10ms));  // already stopped
}

TEST(DecisionService, StopWithinDrainsAStoreThatAnswers) {
  Fixture f;
  std::atomic<int> done{0};
  for (int i = 0; i < 50; ++i) {
    EXPECT_TRUE(
        f.service->submit(f.service->engine(), {lookup("k" + std::to_string(i))}, [&](std::vector<Decision>) { ++done; }));
  }
  EXPECT_TRUE(f.service->stop_within(10s));
  EXPECT_EQ(done, 50);
}

TEST(DecisionService, SwappedEngineAppliesToNewWork) {
  Fixture f;
  EngineSettings quick;
  quick.delay = 1;
  (void)decide(*f.service, {lookup("a")});
  f.service->set_engine(std::make_shared<const PolicyEngine>(quick));
  f.now += 2;
  EXPECT_EQ(decide(*f.service, {lookup("a")})[0].reason, "triplet found");
}

TEST(DecisionService, ABatchIsOneLoadAndOneSave) {
  // What lets a networked store serve a batch in one round trip.
  Fixture f;
  std::vector<TripletLookup> batch;
  for (int i = 0; i < 10; ++i) batch.push_back(lookup("k" + std::to_string(i)));
  (void)decide(*f.service, batch);
  EXPECT_EQ(f.store->loads, 1);
  EXPECT_EQ(f.store->saves, 1);
  EXPECT_EQ(f.store->triplet_count(), 10U);
}

TEST(DecisionService, LaterRequestsOfABatchSeeTheWritesOfEarlierOnes) {
  EngineSettings settings;
  settings.auto_whitelist_clients = 2;
  settings.delay = 10;
  Fixture f;
  f.service->set_engine(std::make_shared<const PolicyEngine>(settings));
  (void)decide(*f.service, {lookup("a"), lookup("b")});
  f.now += 11;
  // One batch: "a" passes and counts the client once; "b" passes in the same second and
  // must see that count (per hour), so the client is not counted twice.
  auto passes = decide(*f.service, {lookup("a"), lookup("b"), lookup("a")});
  EXPECT_EQ(passes[0].reason, "triplet found");
  EXPECT_TRUE(passes[0].delay);
  EXPECT_EQ(passes[1].reason, "triplet found");
  EXPECT_FALSE(passes[1].client_whitelisted);
  EXPECT_FALSE(passes[2].delay) << "the second hit of a in the batch is no longer a first pass";
  f.now += 3600;
  (void)decide(*f.service, {lookup("c")});
  f.now += 11;
  EXPECT_TRUE(decide(*f.service, {lookup("c")})[0].client_whitelisted) << "the second counted pass, an hour later";
}

TEST(DecisionService, NewSettingsApplyToTheNextBatch) {
  Fixture f;
  f.store->fail_commits = true;
  EXPECT_EQ(decide(*f.service, {lookup("a")})[0].action, "DUNNO");
  StoreSettings tempfail;
  tempfail.on_error = StoreErrorAction::tempfail;
  f.service->set_settings(tempfail);
  EXPECT_EQ(f.service->settings().on_error, StoreErrorAction::tempfail);
  EXPECT_EQ(decide(*f.service, {lookup("a")})[0].action.rfind("451 4.3.0", 0), 0U);
}

TEST(DecisionService, ABatchThatLostToAnotherWriterIsRunAgain) {
  Fixture f;
  f.store->conflicts = 2;  // two retries are enough
  auto decided = decide(*f.service, {lookup("a")});
  EXPECT_EQ(decided[0].reason, "new");
  EXPECT_EQ(f.store->loads, 3) << "each attempt loads afresh: the other writer may have changed the rows";
  EXPECT_EQ(f.store->triplet_count(), 1U);

  f.store->conflicts = 3;  // three in a row: answered as a store failure
  decided = decide(*f.service, {lookup("b")});
  EXPECT_EQ(decided[0].reason, "store unavailable");
  EXPECT_EQ(decided[0].action, "DUNNO");
}

}  // namespace
}  // namespace grayling
