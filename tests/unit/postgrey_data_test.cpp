// postgrey's records as grayling rows: the keys postgrey 1.37 really wrote are the keys
// grayling builds for the same requests (with the one difference, IPv6 in the
// auto-whitelist, made good where it can be), values become records, and what cannot be
// imported is counted with its reason, never taken for a row.
#include "grayling/admin/postgrey_data.hpp"
#include "grayling/admin/postgrey_keys.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "grayling/core/sha1.hpp"
#include "grayling/core/triplet_key.hpp"
#include "grayling/store/row_ids.hpp"

namespace grayling {
namespace {

constexpr EpochSeconds kNow = 1700001000;

std::vector<DbDumpDatabase> one_btree(std::vector<DbDumpRecord> records) {
  return {DbDumpDatabase{"", "btree", std::move(records)}};
}

PostgreyRules rules() {
  PostgreyRules rules;
  rules.now = kNow;
  rules.delay = 300;
  return rules;
}

std::string grayling_key(std::string_view client, std::string_view sender, std::string_view recipient,
                         bool by_host = false) {
  return triplet_key(*IpAddress::parse(client), sender, recipient, KeyRules{.lookup_by_host = by_host});
}

// The requests sent to a real postgrey 1.37 (--delay=300 --auto-whitelist-clients=1, the
// clock set by policy_test_time from 1700000000), and what it stored: db_dump -p of its
// postgrey.db and postgrey_clients.db, by default, with --lookup-by-host and --privacy.
struct Request {
  const char* client;
  const char* sender;
  const char* recipient;
  const char* key;          // default options
  const char* key_by_host;  // --lookup-by-host
  const char* key_privacy;  // --privacy
};
constexpr Request kRequests[] = {
    {"192.0.2.7", "user+ext@Example.org", "Rcpt@Example.NET", "192.0.2.0/user@example.org/rcpt@example.net",
     "192.0.2.7/32/user@example.org/rcpt@example.net", "d50248a703d54ba31b65f8253866e3e04ea9ed77"},
    {"2001:DB8::1", "bounce-123-456@lists.example.com", "a@example.net",
     "2001:db8:0:0:0:0:0:0/bounce-#-#@lists.example.com/a@example.net",
     "2001:db8:0:0:0:0:0:1/128/bounce-#-#@lists.example.com/a@example.net", "6c6f0cf543993b8b17fafd6a8770b39cb4ea61b6"},
    {"198.51.100.9", "", "b@example.net", "198.51.100.0//b@example.net", "198.51.100.9/32//b@example.net",
     "669701adf596a9aa007f7600f343fd48c49fbddb"},
};

TEST(PostgreyData, GraylingBuildsTheTripletKeysPostgreyStored) {
  for (const Request& r : kRequests) {
    EXPECT_EQ(grayling_key(r.client, r.sender, r.recipient), r.key);
    EXPECT_EQ(grayling_key(r.client, r.sender, r.recipient, /*by_host=*/true), r.key_by_host);
    EXPECT_EQ(sha1_hex(grayling_key(r.client, r.sender, r.recipient)), r.key_privacy);
  }
}

// The importer builds every key again (postgrey_keys.hpp): what real postgrey wrote, with
// each of its key settings, comes out as it went in under grayling's same settings.
TEST(PostgreyData, TheKeysPostgreyStoredAreImportedAsTheyAre) {
  EngineSettings by_host;
  by_host.keys.lookup_by_host = true;
  EngineSettings privacy;
  privacy.privacy = true;
  const std::pair<EngineSettings, const char* Request::*> settings[] = {
      {EngineSettings{}, &Request::key}, {by_host, &Request::key_by_host}, {privacy, &Request::key_privacy}};
  for (const auto& [engine_settings, member] : settings) {
    PostgreyState state;
    for (const Request& r : kRequests) state.triplets.push_back({r.*member, 1700000000, 1700000400});
    const PostgreyImport import = grayling_rows(state, PolicyEngine(engine_settings));
    EXPECT_EQ(import.rekeyed_triplets, 0U);
    EXPECT_TRUE(import.skipped.empty());
    ASSERT_EQ(import.rows.triplets.size(), std::size(kRequests));
    for (const Request& r : kRequests) {
      EXPECT_TRUE(std::any_of(import.rows.triplets.begin(), import.rows.triplets.end(),
                              [&](const TripletRow& row) { return row.key == r.*member; }))
          << r.*member;
    }
  }
}

// The one request grayling keys differently on purpose: an IPv4-mapped client_address.
// postgrey 1.37 stored "0:0:0:0:0:0:0:0/joe@example.com/c@example.net" for
// ::ffff:203.0.113.5 (the IPv6 /64 of every IPv4 client: any of them passes another's
// triplet), "0:0:0:0:0:ffff:cb00:7105/128/..." with --lookup-by-host. grayling keys the
// IPv4 client it is, as postgrey keys 203.0.113.5 when Postfix sends it so (as it does
// unless inet_protocols leaves IPv4 out).
TEST(PostgreyData, MappedClientsAreKeyedAsTheIpv4ClientPostfixUsuallySends) {
  EXPECT_EQ(grayling_key("::ffff:203.0.113.5", "prvs=1234567890=joe@example.com", "c@example.net"),
            "203.0.113.0/joe@example.com/c@example.net");
  EXPECT_EQ(grayling_key("::ffff:203.0.113.5", "prvs=1234567890=joe@example.com", "c@example.net", true),
            "203.0.113.5/32/joe@example.com/c@example.net");
  EXPECT_EQ(grayling_key("::ffff:203.0.113.5", "joe@example.com", "c@example.net"),
            grayling_key("203.0.113.5", "joe@example.com", "c@example.net"));
}

TEST(PostgreyData, AutoWhitelistKeysMatchOnceIpv6IsLowerCased) {
  // postgrey_clients.db held "192.0.2.7" and "2001:DB8:0:0:0:0:0:1" (NetAddr::IP's text).
  EXPECT_EQ(grayling_client_key("192.0.2.7"), IpAddress::parse("192.0.2.7")->to_expanded_string());
  EXPECT_EQ(grayling_client_key("2001:DB8:0:0:0:0:0:1"), IpAddress::parse("2001:DB8::1")->to_expanded_string());
  EXPECT_EQ(grayling_client_key("2001:DB8:0:0:0:0:0:1"), "2001:db8:0:0:0:0:0:1");
  // An IPv4-mapped client is counted under its IPv4 address, as grayling counts it.
  EXPECT_EQ(grayling_client_key("0:0:0:0:0:FFFF:C000:207"), "192.0.2.7");
  // postgrey before 1.36 stored Postfix's text as it came.
  EXPECT_EQ(grayling_client_key("2001:db8::1"), "2001:db8:0:0:0:0:0:1");
  // With --privacy the hashes stay: for IPv4 they match grayling's ...
  EXPECT_EQ(grayling_client_key("3a8e329934c7cda5120fd97583dbbfeb679b24c8"), sha1_hex("192.0.2.7"));
  // ... for IPv6 postgrey hashed the upper-case text, and no import can mend that.
  EXPECT_EQ(sha1_hex("2001:DB8:0:0:0:0:0:1"), "2b65cb35b0c0dbaa8151cbe85ee3ec24d8cc21a8");
  EXPECT_NE(sha1_hex(IpAddress::parse("2001:DB8::1")->to_expanded_string()),
            "2b65cb35b0c0dbaa8151cbe85ee3ec24d8cc21a8");
}

TEST(PostgreyData, ReadsWhatPostgreyWrote) {
  PostgreyState state;
  add_postgrey_triplets(state,
                        one_btree({{"0:0:0:0:0:0:0:0/joe@example.com/c@example.net", "1700000030,1700000030"},
                                   {"192.0.2.0/user@example.org/rcpt@example.net", "1700000000,1700000400"},
                                   {"198.51.100.0//b@example.net", "1700000020,1700000020"},
                                   {"d50248a703d54ba31b65f8253866e3e04ea9ed77", "1700000000,1700000400"},
                                   // postgrey before 1.37 kept the host's last byte as well
                                   {"192.0.2.0/old@example.org/rcpt@example.net", "1700000000,1700000500,7"}}),
                        rules());
  add_postgrey_clients(state, one_btree({{"192.0.2.7", "1,1700000400"}, {"2001:DB8:0:0:0:0:0:1", "3,1700000500"}}),
                       rules());
  EXPECT_TRUE(state.malformed.empty());
  EXPECT_TRUE(state.skipped.empty());
  ASSERT_EQ(state.triplets.size(), 5u);
  EXPECT_EQ(state.triplets[1],
            (PostgreyTriplet{"192.0.2.0/user@example.org/rcpt@example.net", 1700000000, 1700000400}));
  EXPECT_EQ(state.triplets[4], (PostgreyTriplet{"192.0.2.0/old@example.org/rcpt@example.net", 1700000000, 1700000500}));
  EXPECT_EQ(state.clients,
            (std::vector<PostgreyClient>{{"192.0.2.7", 1, 1700000400}, {"2001:DB8:0:0:0:0:0:1", 3, 1700000500}}));
}

TEST(PostgreyData, PassedIsLastMinusFirstAtLeastTheDelay) {
  EXPECT_TRUE(postgrey_passed({"k", 100, 400}, 300));
  EXPECT_FALSE(postgrey_passed({"k", 100, 399}, 300));
  EXPECT_TRUE(postgrey_passed({"k", 100, 100}, 0));
}

TEST(PostgreyData, RowsAreFiledUnderTheKeysGraylingLooksUp) {
  PostgreyState state;
  state.triplets = {{"192.0.2.0/a@x/b@y", 1000, 1400}, {"192.0.2.0/c@x/d@y", 1000, 1299}};
  // Two spellings of one client (postgrey 1.35 and 1.37): one grayling row, merged.
  state.clients = {{"2001:db8::1", 2, 5000}, {"2001:DB8:0:0:0:0:0:1", 7, 4000}, {"192.0.2.7", 1, 3000}};
  const PolicyEngine engine{EngineSettings{}};  // grayling's defaults: --delay=300
  const Dump dump = grayling_rows(state, engine).rows;

  std::vector<TripletRow> triplets = {
      {store_key_digest("192.0.2.0/a@x/b@y"), {1000, 1400, true}, "192.0.2.0/a@x/b@y"},
      {store_key_digest("192.0.2.0/c@x/d@y"), {1000, 1299, false}, "192.0.2.0/c@x/d@y"}};
  std::sort(triplets.begin(), triplets.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  EXPECT_EQ(dump.triplets, triplets);
  std::vector<ClientRow> clients = {{store_key_digest("2001:db8:0:0:0:0:0:1"), {7, 5000}, "2001:db8:0:0:0:0:0:1"},
                                    {store_key_digest("192.0.2.7"), {1, 3000}, "192.0.2.7"}};
  std::sort(clients.begin(), clients.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  EXPECT_EQ(dump.clients, clients);
}

TEST(PostgreyData, WellFormedRecordsThatCannotBeImportedAreSkippedWithTheirReason) {
  PostgreyRules judged = rules();
  judged.expiry = ExpiryCutoffs{.max_age_before = kNow - 35 * 86400, .pending_before = kNow - 2 * 86400};
  PostgreyState state;
  add_postgrey_triplets(state,
                        one_btree({{"lastcleanup", "1,2"},
                                   {"192.0.2/a@x/b@y", "1699999000,1699999000"},  // postgrey before 1.8
                                   {"192.0.2.0/a@x/b@y", "1700000500,1700000400"},
                                   {"192.0.2.0/c@x/d@y", "1700000000,1700009000"},
                                   {"192.0.2.0/e@x/f@y", "1600000000,1600000900"},
                                   {"192.0.2.0/g@x/h@y", "1698000000,1698000100"},    // pending, 2+ days
                                   {"192.0.2.0/i@x/j@y", "1698000000,1698000400"},    // passed, kept
                                   {"192.0.2.0/k@x/l@y", "1700000000,1700004000"}}),  // within the slack
                        judged);
  add_postgrey_clients(state,
                       one_btree({{"mail.example.org", "1,1700000000"},
                                  {"192.0.2.7", "0,1700000000"},
                                  {"192.0.2.8", "3,1600000000"},
                                  {"192.0.2.9", "3,1800000000"}}),
                       judged);
  EXPECT_TRUE(state.malformed.empty());
  using R = PostgreySkipReason;
  const std::string triplets(kPostgreyTripletsFile);
  const std::string clients(kPostgreyClientsFile);
  EXPECT_EQ(state.skipped, (std::vector<PostgreySkip>{
                               {triplets, "lastcleanup", R::not_a_triplet_key},
                               {triplets, "192.0.2/a@x/b@y", R::not_a_triplet_key},
                               {triplets, "192.0.2.0/a@x/b@y", R::last_before_first},
                               {triplets, "192.0.2.0/c@x/d@y", R::in_the_future},
                               {triplets, "192.0.2.0/e@x/f@y", R::expired},
                               {triplets, "192.0.2.0/g@x/h@y", R::pending_expired},
                               {clients, "mail.example.org", R::not_a_client_key},
                               {clients, "192.0.2.7", R::zero_count},
                               {clients, "192.0.2.8", R::expired},
                               {clients, "192.0.2.9", R::in_the_future},
                           }));
  ASSERT_EQ(state.triplets.size(), 2u);
  EXPECT_EQ(state.triplets[0].key, "192.0.2.0/i@x/j@y");
  EXPECT_EQ(state.triplets[1].key, "192.0.2.0/k@x/l@y");
  EXPECT_TRUE(state.clients.empty());
  for (const auto& skip : state.skipped) EXPECT_FALSE(describe(skip.reason).empty());
  EXPECT_EQ(describe(R::last_before_first), "last seen before first seen");
}

TEST(PostgreyData, WithoutExpiryOldRowsAreImported) {
  PostgreyState state;
  add_postgrey_triplets(state, one_btree({{"192.0.2.0/e@x/f@y", "1600000000,1600000100"}}), rules());
  EXPECT_EQ(state.triplets.size(), 1u);
  EXPECT_TRUE(state.skipped.empty());
}

TEST(PostgreyData, MalformedRecordsAreNamedByFileAndNumber) {
  PostgreyState state;
  add_postgrey_triplets(state,
                        one_btree({{"192.0.2.0/a@x/b@y", "1700000000"},
                                   {"192.0.2.0/a@x/b@y", "1700000000,"},
                                   {"192.0.2.0/a@x/b@y", "-5,1700000000"},
                                   {"192.0.2.0/a@x/b@y", "1700000000,1700000100,mail"},
                                   {"192.0.2.0/a@x/b@y", "1,2,3,4"},
                                   {"192.0.2.0/a@x/b@y", "99999999999999999999,1"},
                                   {"192.0.2.0/a@x/b@y", " 1,2"},
                                   {"192.0.2.0/a@x/b@y", std::string("1\x00,2", 4)},
                                   {"", "1,2"},
                                   {"192.0.2.0/ok@x/b@y", "1700000000,1700000100"}}),
                        rules());
  add_postgrey_clients(state, one_btree({{"192.0.2.7", "1"}, {"192.0.2.8", "1,2,3"}, {"192.0.2.9", "x,2"}}), rules());
  EXPECT_EQ(state.malformed, (std::vector<std::string>{
                                 "postgrey.db: record 1: value '1700000000' is not FIRST,LAST",
                                 "postgrey.db: record 2: value '1700000000,' is not FIRST,LAST",
                                 "postgrey.db: record 3: value '-5,1700000000' is not FIRST,LAST",
                                 "postgrey.db: record 4: value '1700000000,1700000100,mail' is not FIRST,LAST",
                                 "postgrey.db: record 5: value '1,2,3,4' is not FIRST,LAST",
                                 "postgrey.db: record 6: value '99999999999999999999,1' is not FIRST,LAST",
                                 "postgrey.db: record 7: value ' 1,2' is not FIRST,LAST",
                                 "postgrey.db: record 8: value '1\\00,2' is not FIRST,LAST",
                                 "postgrey.db: record 9: empty key",
                                 "postgrey_clients.db: record 1: value '1' is not COUNT,LAST",
                                 "postgrey_clients.db: record 2: value '1,2,3' is not COUNT,LAST",
                                 "postgrey_clients.db: record 3: value 'x,2' is not COUNT,LAST",
                             }));
  ASSERT_EQ(state.triplets.size(), 1u);
  EXPECT_EQ(state.triplets[0].key, "192.0.2.0/ok@x/b@y");
}

TEST(PostgreyData, AFileThatCannotBePostgreysIsAnError) {
  PostgreyState state;
  const auto message = [&](std::vector<DbDumpDatabase> dump) {
    try {
      add_postgrey_triplets(state, std::move(dump), rules());
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message({}), "postgrey.db: holds 0 databases; postgrey's holds one: not postgrey's file");
  EXPECT_EQ(message({{"a", "btree", {}}, {"b", "btree", {}}}),
            "postgrey.db: holds 2 databases; postgrey's holds one: not postgrey's file");
  EXPECT_EQ(message({{"sub", "btree", {}}}), "postgrey.db: holds a sub-database 'sub': not postgrey's file");
  EXPECT_EQ(message({{"", "recno", {}}}), "postgrey.db: a recno database, not a btree: not postgrey's file");
  EXPECT_EQ(message({{"", "hash", {}}}), "no error");
}

}  // namespace
}  // namespace grayling
