// One contract, every Store: what the engine and the decision service rely on.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "grayling/store/memory_store.hpp"
#include "grayling/store/sqlite_store.hpp"
#include "grayling/store/store_factory.hpp"
#include "support/temp_dir.hpp"

namespace grayling {
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

struct MemoryFactory {
  std::unique_ptr<Store> open() { return std::make_unique<MemoryStore>(); }
};

struct SqliteFactory {
  TempDir dir;
  std::unique_ptr<Store> open() { return std::make_unique<SqliteStore>(dir.file("grayling.db"), SyncMode::normal); }
};

template <typename Factory>
class StoreContract : public ::testing::Test {
 protected:
  Factory factory_;
  std::unique_ptr<Store> store_ = factory_.open();

  void put(const std::string& key, TripletRecord record) {
    store_->begin();
    put_triplet(*store_, key, record);
    store_->commit();
  }
};

using Stores = ::testing::Types<MemoryFactory, SqliteFactory>;
TYPED_TEST_SUITE(StoreContract, Stores);

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

TEST(StoreUri, ParsesTheSchemesItKnows) {
  EXPECT_EQ(StoreUri::parse("memory:").scheme, StoreUri::Scheme::memory);
  EXPECT_EQ(StoreUri::parse("sqlite:/var/lib/g.db"), (StoreUri{StoreUri::Scheme::sqlite, "/var/lib/g.db"}));
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
