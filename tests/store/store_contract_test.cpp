// One contract, every Store: what the engine and the decision service rely on.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "grayling/memory_store.hpp"
#include "grayling/open_store.hpp"
#include "grayling/sqlite_store.hpp"

namespace grayling {
namespace {

namespace fs = std::filesystem;

/// A fresh temporary directory, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "grayling-store-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  [[nodiscard]] std::string file(const char* name) const { return (fs::path(path_) / name).string(); }

 private:
  std::string path_;
};

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

  void put(std::string_view key, TripletRecord record) {
    store_->begin();
    store_->put_triplet(key, record);
    store_->commit();
  }
};

using Stores = ::testing::Types<MemoryFactory, SqliteFactory>;
TYPED_TEST_SUITE(StoreContract, Stores);

TYPED_TEST(StoreContract, UnknownKeysAreAbsent) {
  EXPECT_FALSE(this->store_->find_triplet("192.0.2.0/a@x/b@y"));
  EXPECT_FALSE(this->store_->find_client("192.0.2.7"));
  EXPECT_EQ(this->store_->triplet_count(), 0U);
}

TYPED_TEST(StoreContract, PutThenFind) {
  this->put("k1", TripletRecord{100, 200, true});
  EXPECT_EQ(this->store_->find_triplet("k1"), (TripletRecord{100, 200, true}));
  EXPECT_FALSE(this->store_->find_triplet("k2"));
  EXPECT_EQ(this->store_->triplet_count(), 1U);
}

TYPED_TEST(StoreContract, PutOverwrites) {
  this->put("k1", TripletRecord{100, 200, false});
  this->put("k1", TripletRecord{150, 300, true});
  EXPECT_EQ(this->store_->find_triplet("k1"), (TripletRecord{150, 300, true}));
  EXPECT_EQ(this->store_->triplet_count(), 1U);
}

TYPED_TEST(StoreContract, WritesAreVisibleInsideTheTransaction) {
  this->store_->begin();
  this->store_->put_triplet("k1", TripletRecord{1, 2, false});
  EXPECT_EQ(this->store_->find_triplet("k1"), (TripletRecord{1, 2, false}));
  this->store_->commit();
}

TYPED_TEST(StoreContract, RollbackDiscardsEverySortOfWrite) {
  this->put("kept", TripletRecord{1, 1, false});
  this->store_->begin();
  this->store_->put_client("c1", ClientRecord{1, 1});
  this->store_->put_triplet("kept", TripletRecord{9, 9, true});
  this->store_->put_triplet("k2", TripletRecord{2, 2, false});
  (void)this->store_->expire(ExpiryCutoffs{100, 100}, 100);
  this->store_->rollback();
  EXPECT_EQ(this->store_->find_triplet("kept"), (TripletRecord{1, 1, false}));
  EXPECT_FALSE(this->store_->find_triplet("k2"));
  EXPECT_FALSE(this->store_->find_client("c1"));
}

TYPED_TEST(StoreContract, ClientsAreSeparateFromTriplets) {
  this->store_->begin();
  this->store_->put_client("192.0.2.7", ClientRecord{3, 500});
  this->store_->commit();
  EXPECT_EQ(this->store_->find_client("192.0.2.7"), (ClientRecord{3, 500}));
  EXPECT_FALSE(this->store_->find_triplet("192.0.2.7"));
  EXPECT_EQ(this->store_->client_count(), 1U);
}

TYPED_TEST(StoreContract, ExpiryRemovesOnlyStaleRows) {
  // max-age cutoff 1000, pending (retry window) cutoff 5000
  this->store_->begin();
  this->store_->put_triplet("passed-old", TripletRecord{10, 999, true});      // gone: max-age
  this->store_->put_triplet("passed-recent", TripletRecord{10, 1000, true});  // kept
  this->store_->put_triplet("pending-old", TripletRecord{4000, 4999, false}); // gone: retry window
  this->store_->put_triplet("pending-new", TripletRecord{5000, 5000, false}); // kept
  this->store_->put_client("client-old", ClientRecord{5, 999});               // gone
  this->store_->put_client("client-new", ClientRecord{5, 1000});              // kept
  this->store_->commit();

  this->store_->begin();
  EXPECT_EQ(this->store_->expire(ExpiryCutoffs{1000, 5000}, 100), 3U);
  this->store_->commit();
  EXPECT_FALSE(this->store_->find_triplet("passed-old"));
  EXPECT_TRUE(this->store_->find_triplet("passed-recent"));
  EXPECT_FALSE(this->store_->find_triplet("pending-old"));
  EXPECT_TRUE(this->store_->find_triplet("pending-new"));
  EXPECT_FALSE(this->store_->find_client("client-old"));
  EXPECT_TRUE(this->store_->find_client("client-new"));
}

TYPED_TEST(StoreContract, ExpiryIsBoundedPerCall) {
  this->store_->begin();
  for (int i = 0; i < 25; ++i) this->store_->put_triplet("k" + std::to_string(i), TripletRecord{1, 1, true});
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

TYPED_TEST(StoreContract, NegativeAndLargeTimesRoundTrip) {
  this->put("k", TripletRecord{-5, std::int64_t{1} << 40, false});
  EXPECT_EQ(this->store_->find_triplet("k"), (TripletRecord{-5, std::int64_t{1} << 40, false}));
}

// SQLite-only properties: persistence, schema versioning, bad files.

TEST(SqliteStore, CommittedDataSurvivesReopen) {
  TempDir dir;
  {
    SqliteStore store(dir.file("g.db"));
    store.begin();
    store.put_triplet("k", TripletRecord{1, 2, true});
    store.put_client("c", ClientRecord{4, 5});
    store.commit();
  }
  SqliteStore again(dir.file("g.db"));
  EXPECT_EQ(again.find_triplet("k"), (TripletRecord{1, 2, true}));
  EXPECT_EQ(again.find_client("c"), (ClientRecord{4, 5}));
}

TEST(SqliteStore, UncommittedDataIsGoneAfterReopen) {
  TempDir dir;
  {
    SqliteStore store(dir.file("g.db"));
    store.begin();
    store.put_triplet("k", TripletRecord{1, 2, true});
    // destroyed without commit
  }
  SqliteStore again(dir.file("g.db"));
  EXPECT_FALSE(again.find_triplet("k"));
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

TEST(SqliteStore, NotADatabaseIsAClearError) {
  TempDir dir;
  std::ofstream(dir.file("g.db")) << std::string(8192, 'x');
  EXPECT_THROW(SqliteStore store(dir.file("g.db")), StoreError);
}

TEST(SqliteStore, UnwritableDirectoryIsAClearError) {
  EXPECT_THROW(SqliteStore store("/nonexistent-dir/g.db"), StoreError);
}

TEST(SqliteStore, KeysAreStoredAsDigestsNotText) {
  TempDir dir;
  {
    SqliteStore store(dir.file("g.db"));
    store.begin();
    store.put_triplet("192.0.2.0/secret-sender@example.net/b@example.org", TripletRecord{1, 2, false});
    store.commit();
  }
  std::ifstream file(dir.file("g.db"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::ifstream wal(dir.file("g.db") + "-wal", std::ios::binary);
  bytes.append((std::istreambuf_iterator<char>(wal)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.find("secret-sender"), std::string::npos);
}

TEST(OpenStore, ChoosesByUri) {
  TempDir dir;
  EXPECT_NE(dynamic_cast<MemoryStore*>(open_store("memory:").get()), nullptr);
  EXPECT_NE(dynamic_cast<SqliteStore*>(open_store("sqlite:" + dir.file("u.db")).get()), nullptr);
  EXPECT_THROW((void)open_store("redis://x"), StoreError);
}

}  // namespace
}  // namespace grayling
