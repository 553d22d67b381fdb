// Export and import between real stores: an SQLite greylist moved into PostgreSQL keeps
// every row under the same keys, importing twice changes nothing, and a bad dump is
// refused whole, before anything is written.
#include "grayling/admin/transfer.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "grayling/admin/row_dump.hpp"
#include "grayling/store/postgresql_store.hpp"
#include "grayling/store/row_ids.hpp"
#include "grayling/store/sqlite_store.hpp"
#include "support/postgres_server.hpp"
#include "support/temp_dir.hpp"

namespace grayling {
namespace {

using test::PostgresServer;
using test::TempDir;

std::string triplet_key(int i) { return "198.51." + std::to_string(i / 256) + "." + std::to_string(i % 256) + "/s@x/r@y"; }

/// More rows than one export page, with every kind of value.
void fill(Store& store, int triplets) {
  std::vector<std::string> keys;
  for (int i = 0; i < triplets; ++i) keys.push_back(triplet_key(i));
  Writes writes;
  for (int i = 0; i < triplets; ++i) writes.triplets.emplace_back(keys[i], TripletRecord{1000 + i, 2000 + i, i % 3 == 0});
  writes.clients.emplace_back("198.51.100.7", ClientRecord{6, 3000});
  writes.clients.emplace_back("2001:db8::/64", ClientRecord{1, 3001});
  store.begin();
  store.save(writes);
  store.commit();
}

Dump dump_of(Store& store) {
  std::stringstream text;
  export_rows(store, text, 1796198980);
  return read_dump(text, "dump");
}

TEST(Transfer, AnSqliteGreylistMovesIntoPostgresqlUnderTheSameKeys) {
  if (!PostgresServer::available()) {
    if (PostgresServer::required()) FAIL() << PostgresServer::unavailable_reason();
    GTEST_SKIP() << PostgresServer::unavailable_reason();
  }
  constexpr int kTriplets = 12000;  // more than two export pages
  TempDir dir;
  SqliteStore sqlite(dir.file("grayling.db"), SyncMode::normal);
  fill(sqlite, kTriplets);

  PostgresServer server;
  server.create_database("moved");
  PostgresqlStore postgresql(server.uri("moved", "moved"));
  const Dump dump = dump_of(sqlite);
  ASSERT_EQ(dump.triplets.size(), static_cast<std::size_t>(kTriplets));
  ASSERT_EQ(dump.clients.size(), 2U);
  for (int times = 0; times < 2; ++times) {  // the second import changes nothing
    const RowCounts merged = import_rows(postgresql, dump, 1000);
    EXPECT_EQ(merged.triplets, static_cast<std::size_t>(kTriplets));
    EXPECT_EQ(postgresql.triplet_count(), static_cast<std::size_t>(kTriplets));
    EXPECT_EQ(postgresql.client_count(), 2U);
  }
  // The daemon on PostgreSQL finds each row by its key, as it was.
  std::vector<std::string> keys;
  for (int i = 0; i < kTriplets; i += 997) keys.push_back(triplet_key(i));
  RecordKeys wanted;
  for (const auto& key : keys) wanted.triplets.push_back(key);
  wanted.clients = {"198.51.100.7", "2001:db8::/64"};
  const Records there = postgresql.load(wanted);
  const Records here = sqlite.load(wanted);
  ASSERT_EQ(there.triplets.size(), keys.size());
  for (const auto& key : keys) EXPECT_EQ(*there.triplet(key), *here.triplet(key)) << key;
  EXPECT_EQ(*there.client("198.51.100.7"), (ClientRecord{6, 3000}));
  EXPECT_EQ(*there.client("2001:db8::/64"), (ClientRecord{1, 3001}));
  // And the way back gives the same dump.
  const Dump back = dump_of(postgresql);
  EXPECT_EQ(back.triplets, dump.triplets);
  EXPECT_EQ(back.clients, dump.clients);
}

TEST(Transfer, ABadLineRefusesTheWholeDumpAndNamesTheLine) {
  std::stringstream text;
  text << dump_header(1) << '\n'
       << dump_line(TripletRow{1, {1, 2, true}}) << '\n'
       << '\n'  // blank lines are allowed
       << R"({"triplet":"0000000000000002","first_seen":1})" << '\n';
  try {
    (void)read_dump(text, "backup.jsonl");
    FAIL() << "a dump with a bad line was read";
  } catch (const DumpError& e) {
    EXPECT_STREQ(e.what(), R"(backup.jsonl:4: no "last_seen")");
  }
  std::stringstream empty;
  EXPECT_THROW((void)read_dump(empty, "empty"), DumpError);
}

TEST(Transfer, RowsOfOneIdInADumpAreFoldedIntoOne) {
  std::stringstream text;
  text << dump_header(1) << '\n'
       << dump_line(TripletRow{9, {100, 150, false}}) << '\n'
       << dump_line(TripletRow{3, {5, 6, false}}) << '\n'
       << dump_line(TripletRow{9, {90, 120, true}}) << '\n'
       << dump_line(ClientRow{4, {2, 10}}) << '\n'
       << dump_line(ClientRow{4, {5, 8}}) << '\n';
  const Dump dump = read_dump(text, "dump");
  EXPECT_EQ(dump.triplets, (std::vector<TripletRow>{{3, {5, 6, false}}, {9, {90, 150, true}}}));
  EXPECT_EQ(dump.clients, (std::vector<ClientRow>{{4, {5, 10}}}));
  TempDir dir;
  SqliteStore store(dir.file("g.db"), SyncMode::normal);
  import_rows(store, dump);
  EXPECT_EQ(store.triplet_rows(0, 10), dump.triplets);
}

}  // namespace
}  // namespace grayling
