// One contract, every Store: what the engine and the decision service rely on. The
// PostgreSQL store runs it against a real server of the test's own (tests/support/
// postgres_server.hpp); without PostgreSQL installed those tests skip, unless
// GRAYLING_PG_REQUIRED=1 makes that a failure.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <limits>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include "grayling/store/memory_store.hpp"
#include "grayling/store/postgresql_store.hpp"
#include "grayling/store/row_ids.hpp"
#include "grayling/store/sqlite_store.hpp"
#include "grayling/store/store_factory.hpp"
#include "support/pg_pooler.hpp"
#include "support/postgres_server.hpp"
#include "support/temp_dir.hpp"

// In a test or SetUp(): skips without PostgreSQL, or fails if GRAYLING_PG_REQUIRED is set.
#define SKIP_WITHOUT_POSTGRES()                                                  \
  do {                                                                           \
    using ::grayling::test::PostgresServer;                                      \
    if (!PostgresServer::available()) {                                          \
      if (PostgresServer::required()) {                                          \
        FAIL() << "GRAYLING_PG_REQUIRED is set, but "                            \
               << PostgresServer::unavailable_reason();                          \
      }                                                                          \
      GTEST_SKIP() << PostgresServer::unavailable_reason();                      \
    }                                                                            \
  } while (false)

namespace grayling {

// Readable failures for rows (gtest would print their bytes).
void PrintTo(const TripletRow& row, std::ostream* out) {
  *out << "{" << row.id << ", " << row.record.first_seen << ", " << row.record.last_seen << ", " << row.record.passed
       << ", \"" << row.key << "\"}";
}
void PrintTo(const ClientRow& row, std::ostream* out) {
  *out << "{" << row.id << ", " << row.record.count << ", " << row.record.last_seen << ", \"" << row.key << "\"}";
}

namespace {

using test::TempDir;

// One row at a time, through the batch interface the service uses.
std::optional<TripletRecord> find_triplet(Store& store, const std::string& key) {
  Records found = store.load(RecordKeys{{key}, {}});
  if (const TripletRecord* row = found.triplet(key)) return *row;
  return std::nullopt;
}

std::optional<ClientRecord> find_client(Store& store, const std::string& key) {
  Records found = store.load(RecordKeys{{}, {key}});
  if (const ClientRecord* row = found.client(key)) return *row;
  return std::nullopt;
}

void put_triplet(Store& store, const std::string& key, const TripletRecord& record) {
  store.save(Writes{{{key, record}}, {}});
}

void put_client(Store& store, const std::string& key, const ClientRecord& record) {
  store.save(Writes{{}, {{key, record}}});
}

/// The PostgreSQL server of this test process, started on first use (a Postgres-typed
/// test); stopped and removed when the process exits.
test::PostgresServer& postgres_server() {
  static test::PostgresServer server;
  return server;
}

/// A new database "tN" on that server, owned by a role "tN" with no other rights.
std::string fresh_database() {
  static int created = 0;
  std::string name = "t" + std::to_string(++created);
  postgres_server().create_database(name);
  return name;
}

struct MemoryFactory {
  static constexpr const char* kName = "Memory";
  std::unique_ptr<Store> open() { return std::make_unique<MemoryStore>(); }
};

struct SqliteFactory {
  static constexpr const char* kName = "Sqlite";
  TempDir dir;
  std::unique_ptr<Store> open() { return std::make_unique<SqliteStore>(dir.file("grayling.db"), SyncMode::normal); }
};

/// Each test its own database, reached as its own unprivileged role, as a daemon would.
struct PostgresFactory {
  static constexpr const char* kName = "Postgresql";
  std::string db = fresh_database();
  std::unique_ptr<Store> open() { return std::make_unique<PostgresqlStore>(postgres_server().uri(db, db)); }
};

template <typename Factory>
class StoreContract : public ::testing::Test {
 protected:
  void SetUp() override {
    if constexpr (std::is_same_v<Factory, PostgresFactory>) SKIP_WITHOUT_POSTGRES();
    factory_.emplace();
    store_ = factory_->open();
  }

  std::optional<Factory> factory_;  // made in SetUp(): a PostgreSQL one needs the server
  std::unique_ptr<Store> store_;

  void put(const std::string& key, TripletRecord record) {
    store_->begin();
    put_triplet(*store_, key, record);
    store_->commit();
  }
};

/// Names the typed tests after their store: StoreContract/Postgresql.PutThenFind.
struct StoreName {
  template <typename Factory>
  static std::string GetName(int) {
    return Factory::kName;
  }
};

using Stores = ::testing::Types<MemoryFactory, SqliteFactory, PostgresFactory>;
TYPED_TEST_SUITE(StoreContract, Stores, StoreName);

TYPED_TEST(StoreContract, UnknownKeysAreAbsent) {
  EXPECT_FALSE(find_triplet(*this->store_, "192.0.2.0/a@x/b@y"));
  EXPECT_FALSE(find_client(*this->store_, "192.0.2.7"));
  EXPECT_EQ(this->store_->triplet_count(), 0U);
}

TYPED_TEST(StoreContract, PutThenFind) {
  this->put("k1", TripletRecord{100, 200, true});
  EXPECT_EQ(find_triplet(*this->store_, "k1"), (TripletRecord{100, 200, true}));
  EXPECT_FALSE(find_triplet(*this->store_, "k2"));
  EXPECT_EQ(this->store_->triplet_count(), 1U);
}

TYPED_TEST(StoreContract, PutOverwrites) {
  this->put("k1", TripletRecord{100, 200, false});
  this->put("k1", TripletRecord{150, 300, true});
  EXPECT_EQ(find_triplet(*this->store_, "k1"), (TripletRecord{150, 300, true}));
  EXPECT_EQ(this->store_->triplet_count(), 1U);
}

TYPED_TEST(StoreContract, WritesAreVisibleInsideTheTransaction) {
  this->store_->begin();
  put_triplet(*this->store_, "k1", TripletRecord{1, 2, false});
  EXPECT_EQ(find_triplet(*this->store_, "k1"), (TripletRecord{1, 2, false}));
  this->store_->commit();
}

TYPED_TEST(StoreContract, RollbackDiscardsEverySortOfWrite) {
  this->put("kept", TripletRecord{1, 1, false});
  this->store_->begin();
  put_client(*this->store_, "c1", ClientRecord{1, 1});
  put_triplet(*this->store_, "kept", TripletRecord{9, 9, true});
  put_triplet(*this->store_, "k2", TripletRecord{2, 2, false});
  (void)this->store_->expire(ExpiryCutoffs{100, 100}, 100);
  this->store_->rollback();
  EXPECT_EQ(find_triplet(*this->store_, "kept"), (TripletRecord{1, 1, false}));
  EXPECT_FALSE(find_triplet(*this->store_, "k2"));
  EXPECT_FALSE(find_client(*this->store_, "c1"));
}

TYPED_TEST(StoreContract, ClientsAreSeparateFromTriplets) {
  this->store_->begin();
  put_client(*this->store_, "192.0.2.7", ClientRecord{3, 500});
  this->store_->commit();
  EXPECT_EQ(find_client(*this->store_, "192.0.2.7"), (ClientRecord{3, 500}));
  EXPECT_FALSE(find_triplet(*this->store_, "192.0.2.7"));
  EXPECT_EQ(this->store_->client_count(), 1U);
}

TYPED_TEST(StoreContract, ExpiryRemovesOnlyStaleRows) {
  // max-age cutoff 1000, pending (retry window) cutoff 5000
  this->store_->begin();
  put_triplet(*this->store_, "passed-old", TripletRecord{10, 999, true});      // gone: max-age
  put_triplet(*this->store_, "passed-recent", TripletRecord{10, 1000, true});  // kept
  put_triplet(*this->store_, "pending-old", TripletRecord{4000, 4999, false}); // gone: retry window
  put_triplet(*this->store_, "pending-new", TripletRecord{5000, 5000, false}); // kept
  put_client(*this->store_, "client-old", ClientRecord{5, 999});               // gone
  put_client(*this->store_, "client-new", ClientRecord{5, 1000});              // kept
  this->store_->commit();

  this->store_->begin();
  EXPECT_EQ(this->store_->expire(ExpiryCutoffs{1000, 5000}, 100), 3U);
  this->store_->commit();
  EXPECT_FALSE(find_triplet(*this->store_, "passed-old"));
  EXPECT_TRUE(find_triplet(*this->store_, "passed-recent"));
  EXPECT_FALSE(find_triplet(*this->store_, "pending-old"));
  EXPECT_TRUE(find_triplet(*this->store_, "pending-new"));
  EXPECT_FALSE(find_client(*this->store_, "client-old"));
  EXPECT_TRUE(find_client(*this->store_, "client-new"));
}

TYPED_TEST(StoreContract, ExpiryIsBoundedPerCall) {
  this->store_->begin();
  for (int i = 0; i < 25; ++i) put_triplet(*this->store_, "k" + std::to_string(i), TripletRecord{1, 1, true});
  this->store_->commit();
  std::vector<std::size_t> rounds;
  for (;;) {
    this->store_->begin();
    const std::size_t removed = this->store_->expire(ExpiryCutoffs{100, 100}, 10);
    this->store_->commit();
    rounds.push_back(removed);
    if (removed < 10) break;
  }
  EXPECT_EQ(rounds, (std::vector<std::size_t>{10, 10, 5}));
  EXPECT_EQ(this->store_->triplet_count(), 0U);
}

TYPED_TEST(StoreContract, OneLoadAndOneSaveServeABatch) {
  this->store_->begin();
  this->store_->save(Writes{{{"t1", TripletRecord{1, 1, false}}, {"t2", TripletRecord{2, 2, true}}},
                            {{"c1", ClientRecord{3, 3}}}});
  this->store_->commit();
  this->store_->begin();
  const Records found = this->store_->load(RecordKeys{{"t1", "t2", "t3"}, {"c1", "c2"}});
  this->store_->commit();
  EXPECT_EQ(found.triplets.size(), 2U) << "absent keys are absent, present ones are there";
  EXPECT_EQ(*found.triplet("t1"), (TripletRecord{1, 1, false}));
  EXPECT_EQ(*found.triplet("t2"), (TripletRecord{2, 2, true}));
  EXPECT_EQ(found.triplet("t3"), nullptr);
  EXPECT_EQ(found.clients.size(), 1U);
  EXPECT_EQ(*found.client("c1"), (ClientRecord{3, 3}));
}

TYPED_TEST(StoreContract, ALoadOfNothingFindsNothing) {
  this->put("k", TripletRecord{1, 1, false});
  const Records found = this->store_->load(RecordKeys{});
  EXPECT_TRUE(found.triplets.empty());
  EXPECT_TRUE(found.clients.empty());
}

TYPED_TEST(StoreContract, NegativeAndLargeTimesRoundTrip) {
  this->put("k", TripletRecord{-5, std::int64_t{1} << 40, false});
  EXPECT_EQ(find_triplet(*this->store_, "k"), (TripletRecord{-5, std::int64_t{1} << 40, false}));
}

TYPED_TEST(StoreContract, CommitAndLoadCommitsAndOpensTheNextTransactionWithItsRows) {
  Store& store = *this->store_;
  store.begin();
  put_triplet(store, "first", TripletRecord{1, 2, false});
  const std::string first = "first", second = "second", client = "192.0.2.7";
  const auto next = store.commit_and_load(RecordKeys{{first, second}, {client}});
  ASSERT_TRUE(next);
  EXPECT_EQ(*next->triplet("first"), (TripletRecord{1, 2, false}));
  EXPECT_EQ(next->triplet("second"), nullptr);
  EXPECT_EQ(next->client("192.0.2.7"), nullptr);
  put_triplet(store, "second", TripletRecord{3, 4, true});  // in the next transaction...
  store.rollback();                                          // ...which is undone alone
  EXPECT_EQ(find_triplet(store, "first"), (TripletRecord{1, 2, false}));
  EXPECT_FALSE(find_triplet(store, "second"));
  // And a next transaction that commits keeps its writes.
  store.begin();
  (void)store.load(RecordKeys{{second}, {}});
  const auto again = store.commit_and_load(RecordKeys{{second}, {}});
  ASSERT_TRUE(again);
  put_triplet(store, "second", TripletRecord{5, 6, true});
  store.commit();
  EXPECT_EQ(find_triplet(store, "second"), (TripletRecord{5, 6, true}));
}

TYPED_TEST(StoreContract, StatsCountByStateAndFindWhatExpiryWouldDelete) {
  Store& store = *this->store_;
  const ExpiryCutoffs cutoffs{.max_age_before = 1000, .pending_before = 5000};
  EXPECT_EQ(store.stats(cutoffs).oldest, std::nullopt);
  store.begin();
  put_triplet(store, "old-passed", TripletRecord{500, 900, true});      // past max age: due
  put_triplet(store, "passed", TripletRecord{600, 4000, true});         // kept
  put_triplet(store, "stale-pending", TripletRecord{700, 4500, false}); // pending too long: due
  put_triplet(store, "pending", TripletRecord{5500, 5500, false});      // kept
  put_client(store, "old-client", ClientRecord{3, 999});                // due
  put_client(store, "client", ClientRecord{6, 6000});                   // kept
  store.commit();
  const StoreStats stats = store.stats(cutoffs);
  EXPECT_EQ(stats.pending, 2U);
  EXPECT_EQ(stats.passed, 2U);
  EXPECT_EQ(stats.clients, 2U);
  EXPECT_EQ(stats.oldest, 500);
  EXPECT_EQ(stats.due_for_expiry, 3U);
  // What stats() calls due is exactly what expiry deletes.
  store.begin();
  EXPECT_EQ(store.expire(cutoffs, 100), 3U);
  store.commit();
  EXPECT_EQ(store.stats(cutoffs).due_for_expiry, 0U);
}

// Rows by digest: what grayling-admin's export and import move between stores.

TYPED_TEST(StoreContract, RowsComeInIdOrderPageByPageUnderTheirKeysDigests) {
  Store& store = *this->store_;
  std::vector<TripletRow> expected;
  store.begin();
  for (int i = 0; i < 25; ++i) {
    const std::string key = "192.0.2." + std::to_string(i) + "/a@x/b@y";
    const TripletRecord record{i, i + 10, i % 2 == 0};
    put_triplet(store, key, record);
    expected.push_back({store_key_digest(key), record, key});
  }
  put_client(store, "192.0.2.7", ClientRecord{4, 99});
  store.commit();
  std::sort(expected.begin(), expected.end(), [](const auto& a, const auto& b) { return a.id < b.id; });

  std::vector<TripletRow> walked;
  std::int64_t from = std::numeric_limits<std::int64_t>::min();
  for (int pages = 0; pages < 10; ++pages) {
    auto page = store.triplet_rows(from, 7);
    walked.insert(walked.end(), page.begin(), page.end());
    if (page.size() < 7) break;
    from = page.back().id + 1;
  }
  EXPECT_EQ(walked, expected);
  EXPECT_EQ(store.client_rows(std::numeric_limits<std::int64_t>::min(), 100),
            (std::vector<ClientRow>{{store_key_digest("192.0.2.7"), ClientRecord{4, 99}, "192.0.2.7"}}));
  EXPECT_TRUE(store.triplet_rows(std::numeric_limits<std::int64_t>::max(), 10).empty() ||
              expected.back().id == std::numeric_limits<std::int64_t>::max());
}

TYPED_TEST(StoreContract, MergeInsertsNewRowsAndCombinesStoredOnesIdempotently) {
  Store& store = *this->store_;
  this->put("pending", TripletRecord{100, 150, false});
  store.begin();
  put_client(store, "192.0.2.7", ClientRecord{5, 500});
  store.commit();

  const std::vector<TripletRow> triplets{{store_key_digest("pending"), TripletRecord{50, 120, true}},
                                         {store_key_digest("new"), TripletRecord{10, 20, true}}};
  const std::vector<ClientRow> clients{{store_key_digest("192.0.2.7"), ClientRecord{3, 600}},
                                       {store_key_digest("192.0.2.8"), ClientRecord{1, 5}}};
  for (int times = 0; times < 2; ++times) {  // the second merge changes nothing
    store.begin();
    store.merge(triplets, clients);
    store.commit();
    EXPECT_EQ(find_triplet(store, "pending"), (TripletRecord{50, 150, true}));
    EXPECT_EQ(find_triplet(store, "new"), (TripletRecord{10, 20, true}));
    EXPECT_EQ(find_client(store, "192.0.2.7"), (ClientRecord{5, 600}));
    EXPECT_EQ(find_client(store, "192.0.2.8"), (ClientRecord{1, 5}));
    EXPECT_EQ(store.triplet_count(), 2U);
    EXPECT_EQ(store.client_count(), 2U);
  }
}

// Readable keys (schema 2): every row keeps the key it was written under, whatever bytes
// it holds, and a row that has none yet (written before keys were kept, or merged from a
// dump without them) takes one from the next write that has it.
TYPED_TEST(StoreContract, RowsKeepTheirKeysWhateverBytesTheyHold) {
  Store& store = *this->store_;
  const std::vector<std::string> keys{"192.0.2.0/\"quoted, {braced}\"@x/b@y", "198.51.100.0/\xff\xfe@x/b\\c@y",
                                      "2001:db8:0:0:0:0:0:0/\xc3\xa9t\xc3\xa9@x/NULL@y"};
  store.begin();
  for (const auto& key : keys) put_triplet(store, key, TripletRecord{1, 2, false});
  put_client(store, "192.0.2.9", ClientRecord{1, 2});
  store.commit();
  std::vector<std::string> found;
  for (const auto& row : store.triplet_rows(std::numeric_limits<std::int64_t>::min(), 10)) {
    EXPECT_EQ(row.id, store_key_digest(row.key));
    found.push_back(row.key);
  }
  std::sort(found.begin(), found.end());
  auto expected = keys;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(found, expected);
  EXPECT_EQ(store.client_rows(std::numeric_limits<std::int64_t>::min(), 10).at(0).key, "192.0.2.9");
}

TYPED_TEST(StoreContract, AKeylessRowTakesItsKeyFromTheNextWriteAndKeepsIt) {
  Store& store = *this->store_;
  const std::string key = "192.0.2.0/a@x/b@y";
  store.begin();
  store.merge({{store_key_digest(key), TripletRecord{1, 2, false}, ""}}, {{store_key_digest("192.0.2.1"), {1, 2}, ""}});
  store.commit();
  EXPECT_EQ(store.triplet_rows(std::numeric_limits<std::int64_t>::min(), 1).at(0).key, "");
  this->put(key, TripletRecord{1, 3, false});
  store.begin();
  put_client(store, "192.0.2.1", ClientRecord{2, 3});
  store.merge({{store_key_digest(key), TripletRecord{1, 4, false}, ""}}, {});  // no key: keeps the one it has
  store.commit();
  const auto rows = store.triplet_rows(std::numeric_limits<std::int64_t>::min(), 10);
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0], (TripletRow{store_key_digest(key), TripletRecord{1, 4, false}, key}));
  EXPECT_EQ(store.client_rows(std::numeric_limits<std::int64_t>::min(), 10).at(0),
            (ClientRow{store_key_digest("192.0.2.1"), ClientRecord{2, 3}, "192.0.2.1"}));
}

// Rows are filed by a 64-bit digest, and a pair of keys that share one takes only about
// 2^32 hashes to find: this pair was found so, once (Pollard's rho over 16-character hex
// strings, 7e9 SHA-1s), and is data here; both SHA-1s begin 4457138b2259f64e. A row is only ever its own key's: the other key finds it
// absent, and its write takes the row over. Both keys in one batch are written in turn,
// the later in key order keeping the row, and the batch does not fail.
const std::string kCollidingKey = "9aa0204ab28dd1ed";
const std::string kItsTwin = "d2a39859114d6089";

TYPED_TEST(StoreContract, TwoKeysOfOneDigestNeverShareARow) {
  Store& store = *this->store_;
  const std::string& a = kCollidingKey;
  const std::string& b = kItsTwin;
  ASSERT_LT(a, b);
  ASSERT_EQ(store_key_digest(a), store_key_digest(b));
  store.begin();
  const Records none = store.load(RecordKeys{{a, b}, {a, b}});
  EXPECT_TRUE(none.triplets.empty());
  EXPECT_TRUE(none.clients.empty());
  store.save(Writes{{{a, TripletRecord{1, 1, false}}, {b, TripletRecord{2, 2, true}}},
                    {{a, ClientRecord{1, 1}}, {b, ClientRecord{2, 2}}}});
  ASSERT_NO_THROW(store.commit()) << "a batch with both keys failed";
  EXPECT_EQ(store.triplet_count(), 1U);
  EXPECT_EQ(store.client_count(), 1U);

  store.begin();
  const Records found = store.load(RecordKeys{{a, b}, {a, b}});
  store.commit();
  EXPECT_EQ(found.triplet(a), nullptr) << "a key read its twin's row";
  EXPECT_EQ(found.client(a), nullptr) << "a key read its twin's row";
  ASSERT_NE(found.triplet(b), nullptr);
  EXPECT_EQ(*found.triplet(b), (TripletRecord{2, 2, true}));
  ASSERT_NE(found.client(b), nullptr);
  EXPECT_EQ(*found.client(b), (ClientRecord{2, 2}));
  EXPECT_EQ(store.triplet_rows(std::numeric_limits<std::int64_t>::min(), 10),
            (std::vector<TripletRow>{{store_key_digest(b), TripletRecord{2, 2, true}, b}}));

  // The other key, written alone, takes the row over.
  store.begin();
  (void)store.load(RecordKeys{{a}, {a}});
  store.save(Writes{{{a, TripletRecord{3, 3, false}}}, {{a, ClientRecord{3, 3}}}});
  store.commit();
  EXPECT_EQ(find_triplet(store, a), (TripletRecord{3, 3, false}));
  EXPECT_FALSE(find_triplet(store, b));
  EXPECT_EQ(find_client(store, a), (ClientRecord{3, 3}));
  EXPECT_FALSE(find_client(store, b));
  EXPECT_EQ(store.client_rows(std::numeric_limits<std::int64_t>::min(), 10),
            (std::vector<ClientRow>{{store_key_digest(a), ClientRecord{3, 3}, a}}));
}

// grayling-admin import folds a dump's rows by id before it merges them; a merge given
// two rows of one id folds them itself, as merging them one after the other would.
TYPED_TEST(StoreContract, AMergeOfTwoRowsOfOneIdFoldsThem) {
  Store& store = *this->store_;
  const std::int64_t triplet = store_key_digest("k"), client = store_key_digest("c");
  store.begin();
  store.merge({{triplet, TripletRecord{50, 60, false}, "k"}, {triplet, TripletRecord{40, 55, true}, "k"}},
              {{client, ClientRecord{1, 5}, ""}, {client, ClientRecord{3, 4}, "c"}});
  store.commit();
  EXPECT_EQ(store.triplet_rows(std::numeric_limits<std::int64_t>::min(), 10),
            (std::vector<TripletRow>{{triplet, TripletRecord{40, 60, true}, "k"}}));
  EXPECT_EQ(store.client_rows(std::numeric_limits<std::int64_t>::min(), 10),
            (std::vector<ClientRow>{{client, ClientRecord{3, 5}, "c"}}));
}

TYPED_TEST(StoreContract, RemoveDeletesRowsByIdAndCountsThoseThatWereThere) {
  Store& store = *this->store_;
  this->put("a", TripletRecord{1, 2, true});
  this->put("b", TripletRecord{1, 2, false});
  store.begin();
  put_client(store, "192.0.2.1", ClientRecord{3, 4});
  store.commit();

  store.begin();
  EXPECT_EQ(store.remove({store_key_digest("a"), store_key_digest("absent")}, {store_key_digest("192.0.2.1")}), 2U);
  store.rollback();  // a rolled-back delete leaves everything
  EXPECT_EQ(store.triplet_count(), 2U);
  EXPECT_EQ(store.client_count(), 1U);

  store.begin();
  EXPECT_EQ(store.remove({store_key_digest("a")}, {store_key_digest("192.0.2.1")}), 2U);
  store.commit();
  EXPECT_FALSE(find_triplet(store, "a"));
  EXPECT_EQ(find_triplet(store, "b"), (TripletRecord{1, 2, false}));
  EXPECT_EQ(store.client_count(), 0U);
  store.begin();
  EXPECT_EQ(store.remove({store_key_digest("a")}, {}), 0U);
  store.commit();
}

TYPED_TEST(StoreContract, ARolledBackMergeLeavesNothing) {
  Store& store = *this->store_;
  this->put("kept", TripletRecord{1, 2, false});
  store.begin();
  store.merge({{store_key_digest("kept"), TripletRecord{1, 9, true}}, {store_key_digest("gone"), TripletRecord{}}},
              {{store_key_digest("c"), ClientRecord{1, 1}}});
  store.rollback();
  EXPECT_EQ(find_triplet(store, "kept"), (TripletRecord{1, 2, false}));
  EXPECT_FALSE(find_triplet(store, "gone"));
  EXPECT_EQ(store.client_count(), 0U);
}

// SQLite-only properties: persistence, schema versioning, bad files.

TEST(SqliteStore, CommittedDataSurvivesReopen) {
  TempDir dir;
  {
    SqliteStore store(dir.file("g.db"));
    store.begin();
    put_triplet(store, "k", TripletRecord{1, 2, true});
    put_client(store, "c", ClientRecord{4, 5});
    store.commit();
  }
  SqliteStore again(dir.file("g.db"));
  EXPECT_EQ(find_triplet(again, "k"), (TripletRecord{1, 2, true}));
  EXPECT_EQ(find_client(again, "c"), (ClientRecord{4, 5}));
}

TEST(SqliteStore, UncommittedDataIsGoneAfterReopen) {
  TempDir dir;
  {
    SqliteStore store(dir.file("g.db"));
    store.begin();
    put_triplet(store, "k", TripletRecord{1, 2, true});
    // destroyed without commit
  }
  SqliteStore again(dir.file("g.db"));
  EXPECT_FALSE(find_triplet(again, "k"));
}

TEST(SqliteStore, SchemaVersionAndWalAreSet) {
  TempDir dir;
  { SqliteStore store(dir.file("g.db")); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("g.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &statement, nullptr);
  ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(statement, 0), SqliteStore::kSchemaVersion);
  sqlite3_finalize(statement);
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &statement, nullptr);
  ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)), "wal");
  sqlite3_finalize(statement);
  sqlite3_close(db);
}

// A database as grayling 0.x wrote it before keys were kept (schema 1, these exact
// statements), with rows: migrated in place on open, rows intact, keys filled as written.
TEST(SqliteStore, ASchemaOneDatabaseIsMigratedInPlaceKeepingEveryRow) {
  TempDir dir;
  const std::string key = "192.0.2.0/a@x/b@y";
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir.file("g.db").c_str(), &db), SQLITE_OK);
    const std::string v1 = R"sql(
      PRAGMA journal_mode = WAL;
      CREATE TABLE triplets (id INTEGER PRIMARY KEY, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
                             passed INTEGER NOT NULL);
      CREATE INDEX triplets_expiry ON triplets (passed, last_seen);
      CREATE TABLE clients (id INTEGER PRIMARY KEY, count INTEGER NOT NULL, last_seen INTEGER NOT NULL);
      CREATE INDEX clients_expiry ON clients (last_seen);
      PRAGMA user_version = 1;)sql";
    ASSERT_EQ(sqlite3_exec(db, v1.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    const std::string rows = "INSERT INTO triplets VALUES (" + std::to_string(store_key_digest(key)) +
                             ", 100, 400, 1); INSERT INTO triplets VALUES (7, 1, 2, 0); INSERT INTO clients VALUES (" +
                             std::to_string(store_key_digest("192.0.2.1")) + ", 5, 600);";
    ASSERT_EQ(sqlite3_exec(db, rows.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  SqliteStore store(dir.file("g.db"));
  EXPECT_EQ(find_triplet(store, key), (TripletRecord{100, 400, true}));
  EXPECT_EQ(find_client(store, "192.0.2.1"), (ClientRecord{5, 600}));
  EXPECT_EQ(store.triplet_count(), 2U);
  auto rows = store.triplet_rows(std::numeric_limits<std::int64_t>::min(), 10);
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0].key, "");  // known only by digest until written again
  store.begin();
  put_triplet(store, key, TripletRecord{100, 500, true});
  store.commit();
  rows = store.triplet_rows(store_key_digest(key), 1);
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0], (TripletRow{store_key_digest(key), TripletRecord{100, 500, true}, key}));

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("g.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &statement, nullptr);
  ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(statement, 0), 2);
  sqlite3_finalize(statement);
  sqlite3_close(db);
}

// What grayling-admin changes, the daemon hears of (to forget the passes it cached); its
// own writes and an admin's reads are not changes.
TEST(SqliteStore, ChangedElsewhereSeesAnotherProcesssCommitsOnly) {
  TempDir dir;
  SqliteStore daemon(dir.file("g.db"));
  (void)daemon.changed_elsewhere();  // the first answer after opening is always "changed"
  EXPECT_FALSE(daemon.changed_elsewhere());
  daemon.begin();
  put_triplet(daemon, "k", TripletRecord{1, 2, true});
  daemon.commit();
  EXPECT_FALSE(daemon.changed_elsewhere());

  SqliteStore admin(dir.file("g.db"), SyncMode::normal, {}, StoreAccess{.owner = false, .create = false});
  (void)admin.stats(ExpiryCutoffs{});
  (void)admin.triplet_rows(0, 10);
  EXPECT_FALSE(daemon.changed_elsewhere());
  admin.begin();
  EXPECT_EQ(admin.remove({store_key_digest("k")}, {}), 1U);
  admin.commit();
  EXPECT_TRUE(daemon.changed_elsewhere());
  EXPECT_FALSE(daemon.changed_elsewhere());
  EXPECT_FALSE(find_triplet(daemon, "k"));
}

TEST(SqliteStore, NewerSchemaIsRefused) {
  TempDir dir;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("g.db").c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  try {
    SqliteStore store(dir.file("g.db"));
    FAIL() << "opened a future schema";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("schema version 99"), std::string::npos) << e.what();
  }
}

TEST(SqliteStore, NotADatabaseIsMovedAsideAndReported) {
  TempDir dir;
  std::ofstream(dir.file("g.db")) << std::string(8192, 'x');
  std::vector<std::string> reports;
  SqliteStore store(dir.file("g.db"), SyncMode::normal,
                    [&](Severity severity, const std::string& message) {
                      EXPECT_EQ(severity, Severity::critical);
                      reports.push_back(message);
                    });
  ASSERT_EQ(reports.size(), 1U);
  EXPECT_NE(reports[0].find("is corrupt"), std::string::npos) << reports[0];
  std::size_t aside = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    aside += entry.path().filename().string().starts_with("g.db.corrupt-");
  }
  EXPECT_EQ(aside, 1U);
  store.begin();
  put_triplet(store, "k", TripletRecord{1, 2, true});
  store.commit();
  EXPECT_EQ(find_triplet(store, "k"), (TripletRecord{1, 2, true}));
}

TEST(SqliteStore, ASecondStoreOnTheSameFileIsRefused) {
  TempDir dir;
  SqliteStore first(dir.file("grayling.db"));
  EXPECT_TRUE(std::filesystem::exists(dir.file("grayling.lock"))) << "rm grayling.db* must leave the lock alone";
  try {
    SqliteStore second(dir.file("grayling.db"));
    FAIL() << "two stores shared one database";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("another grayling is already using this database"), std::string::npos)
        << e.what();
  }
}

TEST(SqliteStore, LockFileNames) {
  EXPECT_EQ(sqlite_lock_path("/var/lib/grayling/grayling.db"), "/var/lib/grayling/grayling.lock");
  EXPECT_EQ(sqlite_lock_path("/srv/state.sqlite3"), "/srv/state.lock");
  EXPECT_EQ(sqlite_lock_path("/srv/x.d/state"), "/srv/x.d/state.lock");
  EXPECT_EQ(sqlite_lock_path("relative"), "relative.lock");
}

TEST(SqliteStore, ADeletedFileIsNoticedAndRecreated) {
  TempDir dir;
  std::vector<std::string> reports;
  SqliteStore store(dir.file("g.db"), SyncMode::normal,
                    [&](Severity, const std::string& message) { reports.push_back(message); });
  store.begin();
  put_triplet(store, "before", TripletRecord{1, 1, false});
  store.commit();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(dir.file(std::string("g.db") + suffix));
  // The file's identity is checked every 2 s, at the start of a transaction.
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  store.begin();
  put_triplet(store, "after", TripletRecord{2, 2, false});
  store.commit();
  ASSERT_GE(reports.size(), 2U);
  EXPECT_NE(reports[0].find("removed or replaced while in use"), std::string::npos) << reports[0];
  EXPECT_NE(reports[1].find("store reopened"), std::string::npos) << reports[1];
  EXPECT_TRUE(std::filesystem::exists(dir.file("g.db")));
  EXPECT_TRUE(find_triplet(store, "after"));
  EXPECT_FALSE(find_triplet(store, "before"));
}

TEST(SqliteStore, SyncModeCanChangeWhileOpen) {
  // A reload may turn --sync=full into normal and back; the open connection keeps working.
  TempDir dir;
  SqliteStore store(dir.file("g.db"), SyncMode::full);
  for (SyncMode mode : {SyncMode::normal, SyncMode::full}) {
    store.set_sync(mode);
    store.begin();
    put_triplet(store, "k", TripletRecord{1, 1, mode == SyncMode::full});
    store.commit();
    EXPECT_EQ(find_triplet(store, "k")->passed, mode == SyncMode::full);
  }
}

// PostgreSQL-only properties: the schema, several daemons on one database, least
// privilege, and a server that goes away. Each test has its own database and role.

class PostgresqlStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_WITHOUT_POSTGRES();
    db_ = fresh_database();
  }

  void TearDown() override {
    if (!HasFailure() || db_.empty()) return;
    const std::string log = server().log();
    std::cerr << "---- PostgreSQL log ----\n"
              << (log.size() > 8000 ? "[...]\n" + log.substr(log.size() - 8000) : log) << "---- end of log ----\n";
  }

  static test::PostgresServer& server() { return postgres_server(); }
  /// What a daemon's --store would say: this test's database, as its own role.
  [[nodiscard]] std::string uri() const { return server().uri(db_, db_); }
  /// `sql`'s output, run by the administrator in this test's database.
  std::string sql(const std::string& text) const { return server().psql(text, db_); }

  std::string db_;
};

/// A reporter that keeps what it is told.
struct Reports {
  std::vector<std::string> messages;
  StoreReporter reporter() {
    return [this](Severity, const std::string& message) { messages.push_back(message); };
  }
  [[nodiscard]] std::size_t count(const std::string& needle) const {
    return static_cast<std::size_t>(std::count_if(messages.begin(), messages.end(), [&](const std::string& message) {
      return message.find(needle) != std::string::npos;
    }));
  }
};

/// A row read in a transaction of its own, as a batch of the decision service reads it.
std::optional<TripletRecord> read_triplet(Store& store, const std::string& key) {
  store.begin();
  auto found = find_triplet(store, key);
  store.commit();
  return found;
}

std::optional<ClientRecord> read_client(Store& store, const std::string& key) {
  store.begin();
  auto found = find_client(store, key);
  store.commit();
  return found;
}

// A load outside begin()/commit() (an inspection, as the contract helpers do) must not
// leave a transaction open holding its rows locked against every other host.
TEST_F(PostgresqlStoreTest, ALoadOutsideATransactionHoldsNoLocks) {
  PostgresqlStore first(uri());
  PostgresqlStore second(uri());
  first.begin();
  put_triplet(first, "k", TripletRecord{1, 1, false});
  first.commit();
  EXPECT_TRUE(find_triplet(first, "k"));  // no begin(): its own implicit transaction
  auto writer = std::async(std::launch::async, [&] {
    second.begin();
    (void)find_triplet(second, "k");  // FOR UPDATE: waits if `first` still holds the row
    put_triplet(second, "k", TripletRecord{1, 2, true});
    second.commit();
  });
  ASSERT_EQ(writer.wait_for(std::chrono::seconds(5)), std::future_status::ready)
      << "the row stayed locked after a load outside a transaction";
  writer.get();
  EXPECT_EQ(read_triplet(first, "k"), (TripletRecord{1, 2, true}));
  EXPECT_EQ(sql("SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'"), "0");
}

// commit_and_load sends one pipeline: this transaction's writes and COMMIT, the next
// one's BEGIN and loads. A failure before the COMMIT fails this batch and leaves no next
// transaction; a failure after it keeps the commit and gives the next batch a fresh start.
TEST_F(PostgresqlStoreTest, CommitAndLoadTellsAFailedCommitFromAFailedNextLoad) {
  PostgresqlStore store(uri());
  store.begin();
  put_triplet(store, "created", TripletRecord{1, 1, false});
  store.commit();
  (void)sql("ALTER TABLE grayling_triplets ADD CONSTRAINT seen_after_1970 CHECK (first_seen >= 0)");
  const std::string key = "k";
  store.begin();
  put_triplet(store, "bad", TripletRecord{-5, 1, false});  // the upsert before COMMIT fails
  EXPECT_THROW((void)store.commit_and_load(RecordKeys{{key}, {}}), StoreError);
  store.rollback();
  EXPECT_FALSE(find_triplet(store, "bad"));
  (void)sql("ALTER TABLE grayling_triplets DROP CONSTRAINT seen_after_1970");

  // The next load waits for a lock another session holds, until lock_timeout: after the
  // COMMIT went through.
  (void)sql("ALTER ROLE " + db_ + " SET lock_timeout = '200ms'");
  PostgresqlStore timed(uri());  // a new session, with the role's setting
  auto holder = std::async(std::launch::async, [&] {
    return sql("BEGIN; LOCK TABLE grayling_clients; SELECT pg_sleep(2); COMMIT;");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the lock is held
  timed.begin();
  put_triplet(timed, "kept", TripletRecord{7, 8, true});
  const std::string client = "192.0.2.9";
  EXPECT_EQ(timed.commit_and_load(RecordKeys{{key}, {client}}), std::nullopt);
  EXPECT_EQ(sql("SELECT count(*) FROM grayling_triplets WHERE passed"), "1") << "the commit was lost";
  holder.get();
  EXPECT_EQ(find_triplet(timed, "kept"), (TripletRecord{7, 8, true}));
  timed.begin();  // and the next batch starts afresh
  EXPECT_TRUE(timed.load(RecordKeys{{key}, {client}}).triplets.empty());
  timed.commit();
}

TEST_F(PostgresqlStoreTest, CreatesTheSchemaAtVersionTwo) {
  PostgresqlStore store(uri());
  EXPECT_EQ(sql("SELECT max(version) FROM grayling_schema"), "2");
  EXPECT_EQ(PostgresqlStore::kSchemaVersion, 2);
  EXPECT_EQ(sql("SELECT tablename || ' ' || tableowner FROM pg_tables WHERE tablename LIKE 'grayling%' "
                "ORDER BY tablename"),
            "grayling_clients " + db_ + "\ngrayling_schema " + db_ + "\ngrayling_triplets " + db_);
}

// Tables as grayling wrote them before keys were kept (schema 1, these exact statements):
// migrated in place by the first daemon to connect, rows intact.
TEST_F(PostgresqlStoreTest, ASchemaOneDatabaseIsMigratedInPlaceKeepingEveryRow) {
  const std::string key = "192.0.2.0/a@x/b@y";
  sql("CREATE TABLE grayling_schema (version integer NOT NULL); INSERT INTO grayling_schema VALUES (1); "
      "CREATE TABLE grayling_triplets (id bigint PRIMARY KEY, first_seen bigint NOT NULL, last_seen bigint NOT NULL, "
      "passed boolean NOT NULL); "
      "CREATE INDEX grayling_triplets_expiry ON grayling_triplets (passed, last_seen); "
      "CREATE TABLE grayling_clients (id bigint PRIMARY KEY, count bigint NOT NULL, last_seen bigint NOT NULL); "
      "CREATE INDEX grayling_clients_expiry ON grayling_clients (last_seen); "
      "INSERT INTO grayling_triplets VALUES (" + std::to_string(store_key_digest(key)) + ", 100, 400, true); "
      "INSERT INTO grayling_clients VALUES (" + std::to_string(store_key_digest("192.0.2.1")) + ", 5, 600); "
      "ALTER TABLE grayling_schema OWNER TO " + db_ + "; ALTER TABLE grayling_triplets OWNER TO " + db_ +
      "; ALTER TABLE grayling_clients OWNER TO " + db_ + ";");
  PostgresqlStore store(uri());
  EXPECT_EQ(sql("SELECT max(version) FROM grayling_schema"), "2");
  EXPECT_EQ(read_triplet(store, key), (TripletRecord{100, 400, true}));
  EXPECT_EQ(read_client(store, "192.0.2.1"), (ClientRecord{5, 600}));
  EXPECT_EQ(store.triplet_rows(std::numeric_limits<std::int64_t>::min(), 1).at(0).key, "");
  store.begin();
  put_triplet(store, key, TripletRecord{100, 500, true});
  store.commit();
  EXPECT_EQ(store.triplet_rows(std::numeric_limits<std::int64_t>::min(), 1).at(0),
            (TripletRow{store_key_digest(key), TripletRecord{100, 500, true}, key}));
  PostgresqlStore second(uri());  // a second daemon finds it migrated
  EXPECT_EQ(sql("SELECT count(*) FROM grayling_schema WHERE version = 2"), "1");
}

// grayling-admin's merge and remove are announced (NOTIFY): every daemon hears of them,
// and of nothing else; a daemon that reconnected assumes it missed something.
TEST_F(PostgresqlStoreTest, ChangedElsewhereHearsTheAdminsChangesOnly) {
  PostgresqlStore daemon(uri());
  PostgresqlStore other_daemon(uri());
  PostgresqlStore admin(uri());
  (void)daemon.changed_elsewhere();  // just connected: "changed"
  (void)other_daemon.changed_elsewhere();
  EXPECT_FALSE(daemon.changed_elsewhere());
  other_daemon.begin();
  put_triplet(other_daemon, "k", TripletRecord{1, 2, true});
  other_daemon.commit();
  EXPECT_FALSE(daemon.changed_elsewhere());

  admin.begin();
  EXPECT_EQ(admin.remove({store_key_digest("k")}, {}), 1U);
  admin.commit();
  // Delivered asynchronously: give it a moment, bounded.
  bool heard = false;
  for (int i = 0; i < 100 && !heard; ++i) {
    heard = daemon.changed_elsewhere();
    if (!heard) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(heard);
  EXPECT_FALSE(daemon.changed_elsewhere());
  admin.begin();
  admin.merge({{store_key_digest("k"), TripletRecord{1, 2, true}, "k"}}, {});
  admin.rollback();  // nothing committed, nothing announced
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(daemon.changed_elsewhere());
}

TEST_F(PostgresqlStoreTest, ASecondDaemonOpensTheSameDatabaseAndSharesItsRows) {
  PostgresqlStore first(uri());
  PostgresqlStore second(uri());
  EXPECT_EQ(sql("SELECT count(*) || ' ' || max(version) FROM grayling_schema"), "1 2") << "one schema row, not two";

  first.begin();
  put_triplet(first, "k", TripletRecord{10, 10, false});
  put_client(first, "c", ClientRecord{1, 10});
  first.commit();
  EXPECT_EQ(read_triplet(second, "k"), (TripletRecord{10, 10, false}));
  EXPECT_EQ(read_client(second, "c"), (ClientRecord{1, 10}));

  second.begin();
  put_triplet(second, "k", TripletRecord{10, 20, true});
  second.commit();
  EXPECT_EQ(read_triplet(first, "k"), (TripletRecord{10, 20, true}));
  EXPECT_EQ(first.triplet_count(), 1U);
  EXPECT_EQ(second.client_count(), 1U);

  // And a third, started after the others wrote.
  PostgresqlStore third(uri());
  EXPECT_EQ(read_triplet(third, "k"), (TripletRecord{10, 20, true}));
}

TEST_F(PostgresqlStoreTest, ASecondDaemonWaitsForTheRowsTheFirstIsDeciding) {
  // The property that keeps two hosts from both counting one first pass: rows loaded
  // in a batch stay locked until its commit, and the other host then sees its writes.
  PostgresqlStore first(uri());
  PostgresqlStore second(uri());
  first.begin();
  put_triplet(first, "k", TripletRecord{100, 100, false});
  put_client(first, "c", ClientRecord{1, 100});
  first.commit();

  first.begin();
  const Records held = first.load(RecordKeys{{"k"}, {"c"}});
  ASSERT_NE(held.triplet("k"), nullptr);
  std::atomic<bool> loaded{false};
  Records seen;
  std::string error;
  std::jthread other([&] {
    try {
      second.begin();
      seen = second.load(RecordKeys{{"k"}, {"c"}});
      loaded = true;
      second.commit();
    } catch (const std::exception& e) {
      error = e.what();
      second.rollback();
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_FALSE(loaded) << "the second daemon read rows the first had not committed yet";
  first.save(Writes{{{"k", TripletRecord{100, 200, true}}}, {{"c", ClientRecord{2, 200}}}});
  first.commit();
  other.join();
  ASSERT_EQ(error, "");
  ASSERT_NE(seen.triplet("k"), nullptr);
  EXPECT_EQ(*seen.triplet("k"), (TripletRecord{100, 200, true})) << "the second daemon saw the row before the commit";
  ASSERT_NE(seen.client("c"), nullptr);
  EXPECT_EQ(*seen.client("c"), (ClientRecord{2, 200}));
}

TEST_F(PostgresqlStoreTest, ANewerSchemaIsRefused) {
  { PostgresqlStore store(uri()); }
  sql("UPDATE grayling_schema SET version = 99");
  // The constructor may defer the refusal to the first transaction (a database that is
  // down at start-up is an outage, not a fatal error); either way nothing is read or
  // written, and the error says why.
  Reports reports;
  try {
    PostgresqlStore store(uri(), reports.reporter());
    store.begin();
    (void)store.load(RecordKeys{{"k"}, {}});
    FAIL() << "opened a future schema";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("version 99"), std::string::npos)
        << "error: " << e.what() << "\nreported: " << ::testing::PrintToString(reports.messages);
  }
  EXPECT_EQ(sql("SELECT version FROM grayling_schema"), "99") << "the newer schema was changed";
}

TEST_F(PostgresqlStoreTest, ARoleWithRightsOnlyOnItsOwnDatabaseSuffices) {
  EXPECT_EQ(server().psql("SELECT rolsuper, rolcreatedb, rolcreaterole, rolbypassrls FROM pg_roles "
                          "WHERE rolname = '" + db_ + "'"),
            "f|f|f|f");
  const std::string other = fresh_database();
  EXPECT_EQ(server().psql("SELECT has_database_privilege('" + db_ + "', '" + other + "', 'CONNECT')"), "f");

  PostgresqlStore store(uri());
  store.begin();
  put_triplet(store, "k", TripletRecord{1, 2, true});
  put_client(store, "c", ClientRecord{3, 4});
  store.commit();
  EXPECT_EQ(read_triplet(store, "k"), (TripletRecord{1, 2, true}));
  EXPECT_EQ(read_client(store, "c"), (ClientRecord{3, 4}));
  store.begin();
  EXPECT_EQ(store.expire(ExpiryCutoffs{100, 100}, 10), 2U);
  store.commit();

  // Where the role has no rights, the store fails (at once or at its first transaction).
  EXPECT_THROW(
      {
        PostgresqlStore elsewhere(server().uri(other, db_));
        elsewhere.begin();
        (void)elsewhere.load(RecordKeys{{"k"}, {}});
      },
      StoreError);
}

TEST_F(PostgresqlStoreTest, EveryFormOfStoreUriReachesTheDatabase) {
  const std::string port = std::to_string(server().port());
  const std::vector<std::string> forms{
      "postgresql://" + db_ + "@127.0.0.1:" + port + "/" + db_,
      "postgres://" + db_ + "@127.0.0.1:" + port + "/" + db_ + "?connect_timeout=5",
      "postgresql:host=127.0.0.1 port=" + port + " dbname=" + db_ + " user=" + db_,
      "postgresql:host=" + server().socket_dir() + " port=" + port + " dbname=" + db_ + " user=" + db_,
  };
  std::int64_t written = 0;
  for (const auto& form : forms) {
    SCOPED_TRACE(form);
    auto store = open_store(StoreUri::parse(form));
    ASSERT_NE(dynamic_cast<PostgresqlStore*>(store.get()), nullptr);
    store->begin();
    put_triplet(*store, "k", TripletRecord{++written, 1, false});
    store->commit();
  }
  EXPECT_EQ(sql("SELECT count(*) || ' ' || max(first_seen) FROM grayling_triplets"), "1 4");
}

TEST_F(PostgresqlStoreTest, AServerDownAtOpenIsAnOutageUntilItComesBack) {
  Reports reports;
  server().stop();
  std::optional<PostgresqlStore> store;
  EXPECT_NO_THROW(store.emplace(uri(), reports.reporter())) << "a daemon starts without its database";
  EXPECT_THROW(store->begin(), StoreError);
  server().start();
  // Reconnection is attempted at most once per backoff (1 s after the first failure).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::optional<TripletRecord> found;
  for (;;) {
    try {
      store->begin();
      put_triplet(*store, "k", TripletRecord{1, 1, false});
      store->commit();
      found = read_triplet(*store, "k");
      break;
    } catch (const StoreError& e) {
      store->rollback();
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "still failing: " << e.what();
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  EXPECT_EQ(found, (TripletRecord{1, 1, false}));
  EXPECT_EQ(reports.count("lost PostgreSQL"), 1U);
  EXPECT_EQ(reports.count("PostgreSQL is back"), 1U);
}

TEST_F(PostgresqlStoreTest, ACrashedServerLosesNothingCommittedAndTheStoreReconnects) {
  Reports reports;
  PostgresqlStore store(uri(), reports.reporter());
  store.begin();
  put_triplet(store, "k", TripletRecord{1, 2, true});
  store.commit();
  server().kill_hard();
  server().start();
  // The batch in flight when the connection broke fails; the next one reconnects.
  int failures = 0;
  std::optional<TripletRecord> found;
  for (int attempt = 0; attempt < 3 && !found; ++attempt) {
    try {
      found = read_triplet(store, "k");
    } catch (const StoreError&) {
      store.rollback();
      ++failures;
    }
  }
  EXPECT_EQ(found, (TripletRecord{1, 2, true}));
  EXPECT_LE(failures, 1);
  EXPECT_EQ(reports.count("lost PostgreSQL"), static_cast<std::size_t>(failures));
  EXPECT_EQ(reports.count("PostgreSQL is back"), static_cast<std::size_t>(failures));
}

// The store prepares its statements once per connection. A server session can lose
// them: DEALLOCATE ALL run on it, or a pooler in transaction mode serving the next
// transaction from another session (SQLSTATE 26000 on the next use). The store prepares
// them again, and no batch fails for it: here through a pooler of the test's own.
TEST_F(PostgresqlStoreTest, StatementsTheServerSessionLostArePreparedAgain) {
  test::PgPooler pooler(server().port());
  PostgresqlStore store("postgresql://" + db_ + "@127.0.0.1:" + std::to_string(pooler.port()) + "/" + db_);
  int written = 0;
  const auto batch = [&] {
    const std::string key = "k" + std::to_string(++written);
    store.begin();
    (void)store.load(RecordKeys{{key}, {}});
    put_triplet(store, key, TripletRecord{written, written, false});
    store.commit();
  };
  batch();
  pooler.switch_sessions();
  EXPECT_NO_THROW(batch()) << "in a new server session";
  pooler.run_between("DEALLOCATE ALL");
  EXPECT_NO_THROW(batch()) << "after DEALLOCATE ALL";
  EXPECT_NO_THROW(batch()) << "and the one after";
  pooler.switch_sessions();
  EXPECT_EQ(store.triplet_count(), 4U) << "outside a transaction";
  EXPECT_EQ(pooler.sessions_opened(), 3);
  EXPECT_EQ(pooler.commands_run(), 1);
  EXPECT_EQ(pooler.command_errors(), std::vector<std::string>{});
  EXPECT_EQ(sql("SELECT string_agg(convert_from(key, 'UTF8'), ',' ORDER BY first_seen) FROM grayling_triplets"),
            "k1,k2,k3,k4");
}

// Lost in the middle of a transaction (between a batch's loads and its writes), they
// cost the transaction: the batch fails as a conflict, which the decision service runs
// again, and the run again succeeds.
TEST_F(PostgresqlStoreTest, StatementsLostInsideATransactionMakeTheBatchRunAgain) {
  test::PgPooler pooler(server().port());
  PostgresqlStore store("postgresql://" + db_ + "@127.0.0.1:" + std::to_string(pooler.port()) + "/" + db_);
  const std::string key = "k", earlier = "earlier";
  store.begin();  // a first batch: every statement of a batch is prepared
  (void)store.load(RecordKeys{{earlier}, {}});
  put_triplet(store, earlier, TripletRecord{1, 1, false});
  store.commit();
  store.begin();
  (void)store.load(RecordKeys{{key}, {}});
  pooler.run_between("DEALLOCATE ALL");
  put_triplet(store, key, TripletRecord{1, 1, false});
  EXPECT_THROW(store.commit(), StoreConflict);
  store.rollback();
  EXPECT_EQ(pooler.commands_run(), 1);
  EXPECT_EQ(sql("SELECT count(*) FROM grayling_triplets"), "1");
  store.begin();
  (void)store.load(RecordKeys{{key}, {}});
  put_triplet(store, key, TripletRecord{1, 2, false});
  EXPECT_NO_THROW(store.commit());
  EXPECT_EQ(read_triplet(store, key), (TripletRecord{1, 2, false}));
  EXPECT_EQ(sql("SELECT count(*) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%'"), "0");
}

TEST(StoreUri, ParsesTheSchemesItKnows) {
  EXPECT_EQ(StoreUri::parse("memory:").scheme, StoreUri::Scheme::memory);
  EXPECT_EQ(StoreUri::parse("sqlite:/var/lib/g.db"), (StoreUri{StoreUri::Scheme::sqlite, "/var/lib/g.db", {}}));
  EXPECT_EQ(StoreUri::parse("sqlite:///var/lib/g.db").path, "/var/lib/g.db");
  EXPECT_EQ(StoreUri::parse("sqlite:rel.db").path, "rel.db");
  EXPECT_EQ(StoreUri::sqlite_in("/d"), StoreUri::parse("sqlite:/d/grayling.db"));
  EXPECT_EQ(StoreUri::parse("sqlite:/var/lib/g.db").describe(), "sqlite:/var/lib/g.db");
  EXPECT_EQ(StoreUri::parse("sqlite:/var/lib/g.db").directory(), "/var/lib");
  EXPECT_EQ(StoreUri::parse("sqlite:g.db").directory(), ".");
  EXPECT_EQ(StoreUri::parse("memory:").directory(), std::nullopt);
  for (const char* bad : {"", "redis://x", "sqlite:", "memory", "SQLITE:/x"}) {
    EXPECT_THROW((void)StoreUri::parse(bad), StoreUriError) << bad;
  }
}

TEST(OpenStore, ChoosesByUri) {
  TempDir dir;
  EXPECT_NE(dynamic_cast<MemoryStore*>(open_store(StoreUri::parse("memory:")).get()), nullptr);
  EXPECT_NE(dynamic_cast<SqliteStore*>(open_store(StoreUri::parse("sqlite:" + dir.file("u.db"))).get()), nullptr);
}

}  // namespace
}  // namespace grayling
