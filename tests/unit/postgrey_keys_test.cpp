// postgrey's rows filed under the keys grayling builds: every key imported is the one the
// daemon builds for the same request (grayling's sender rules, network, --privacy), rows
// that become one key are merged and counted, and keys made with other settings than
// grayling's are either built again or left out with their reason and a warning.
#include "grayling/admin/postgrey_keys.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "grayling/core/sha1.hpp"
#include "grayling/core/triplet_key.hpp"
#include "grayling/store/row_ids.hpp"

namespace grayling {
namespace {

PolicyEngine engine_with(EngineSettings settings = {}) { return PolicyEngine(std::move(settings)); }

/// The row filed under `key`, if any.
const TripletRow* row_of(const PostgreyImport& import, const std::string& key) {
  const auto found = std::find_if(import.rows.triplets.begin(), import.rows.triplets.end(),
                                  [&](const TripletRow& row) { return row.key == key; });
  return found == import.rows.triplets.end() ? nullptr : &*found;
}

/// The key the daemon builds for the request postgrey saw.
std::string daemon_key(const PolicyEngine& engine, std::string_view client, std::string_view sender,
                       std::string_view recipient) {
  return engine.lookup(*IpAddress::parse(client), sender, recipient).key;
}

TEST(PostgreyKeys, SendersAreNormalisedAgainAsTheDaemonNormalisesThem) {
  const PolicyEngine engine = engine_with();
  PostgreyState state;
  // What postgrey 1.37 stores for these senders: it keeps hex ids, makes '#' of a UUID's
  // digit-only group, and does not unwrap SRS (its key lower-cased, digit runs '#').
  state.triplets = {
      {"192.0.2.0/news-5f3a9c2e1b@shop.example/r@x.example", 1000, 1000},
      {"192.0.2.0/news-8e2b4d6f0a@shop.example/r@x.example", 1200, 1400},
      {"198.51.100.0/b-5f3a9c2e-#-4b7c-8d9e-0a1b2c3d4e5f@mailer.example/r@x.example", 1000, 1300},
      {"203.0.113.0/srs0=hhhh=2k=orig.example=alice@fwd.example/r@x.example", 1000, 1000},
      {"192.0.2.0/user@example.org/rcpt@example.net", 1000, 1000},
  };
  const PostgreyImport import = grayling_rows(state, engine);
  const std::string news = daemon_key(engine, "192.0.2.1", "news-3c4d5e6f7a@shop.example", "r@x.example");
  EXPECT_EQ(news, "192.0.2.0/news-#@shop.example/r@x.example");
  const std::string uuid =
      daemon_key(engine, "198.51.100.2", "b-5f3a9c2e-1234-4b7c-8d9e-0a1b2c3d4e5f@mailer.example", "r@x.example");
  const std::string srs = daemon_key(engine, "203.0.113.3", "SRS0=HHhh=2K=orig.example=alice@fwd.example", "r@x.example");
  EXPECT_EQ(srs, "203.0.113.0/alice@orig.example/r@x.example");
  ASSERT_EQ(import.rows.triplets.size(), 4U);
  ASSERT_NE(row_of(import, news), nullptr);
  EXPECT_EQ(row_of(import, news)->record, (TripletRecord{1000, 1400, false}));  // two ids, merged
  EXPECT_EQ(row_of(import, news)->id, store_key_digest(news));
  ASSERT_NE(row_of(import, uuid), nullptr);
  EXPECT_EQ(row_of(import, uuid)->record, (TripletRecord{1000, 1300, true}));
  EXPECT_NE(row_of(import, srs), nullptr);
  EXPECT_NE(row_of(import, "192.0.2.0/user@example.org/rcpt@example.net"), nullptr);
  EXPECT_EQ(import.rekeyed_triplets, 4U);
  EXPECT_EQ(import.merged, 1U);
  EXPECT_TRUE(import.skipped.empty());
  EXPECT_TRUE(postgrey_warnings(import, engine.settings()).empty());
}

TEST(PostgreyKeys, UuidGroupsPostgreyMadeHashesOfGetDigitsBack) {
  EXPECT_EQ(with_uuid_digits("b-5f3a9c2e-#-4b7c-8d9e-0a1b2c3d4e5f@x.example"),
            "b-5f3a9c2e-0000-4b7c-8d9e-0a1b2c3d4e5f@x.example");
  EXPECT_EQ(with_uuid_digits("#-1b2c-#-8d9e-0a1b2c3d4e5f"), "00000000-1b2c-0000-8d9e-0a1b2c3d4e5f");
  // Nothing else changes: no '#', no UUID shape, no hex group at all, not word-bounded.
  for (const char* sender : {"b-5f3a9c2e-1b2c-4b7c-8d9e-0a1b2c3d4e5f@x", "bounce-#-#@x", "#-#-#-#-#@x",
                             "x5f3a9c2e-#-4b7c-8d9e-0a1b2c3d4e5f@x", "5f3a9c2e-#-4b7c-8d9e-0a1b2c3d4e5fz@x",
                             "a@5f3a9c2e-#-4b7c-8d9e-0a1b2c3d4e5f", ""}) {
    EXPECT_EQ(with_uuid_digits(sender), sender);
  }
}

TEST(PostgreyKeys, KeysByHostOrANarrowerNetworkAreFiledUnderGraylingsNetwork) {
  PostgreyState state;
  state.triplets = {
      {"192.0.2.7/32/c@example.org/r@x.example", 1000, 1000},                    // --lookup-by-host
      {"192.0.2.8/32/c@example.org/r@x.example", 1100, 1500},                    // the same /24
      {"2001:db8:0:0:0:0:0:1/128/c@example.org/r@x.example", 1000, 1000},
      {"198.51.100.16/c@example.org/r@x.example", 1000, 1000},                   // --ipv4cidr=28
  };
  const PolicyEngine engine = engine_with();
  const PostgreyImport import = grayling_rows(state, engine);
  EXPECT_EQ(import.by_host, 3U);
  EXPECT_EQ(import.narrower, 1U);
  EXPECT_EQ(import.merged, 1U);
  ASSERT_NE(row_of(import, "192.0.2.0/c@example.org/r@x.example"), nullptr);
  EXPECT_EQ(row_of(import, "192.0.2.0/c@example.org/r@x.example")->record, (TripletRecord{1000, 1500, true}));
  EXPECT_NE(row_of(import, "2001:db8:0:0:0:0:0:0/c@example.org/r@x.example"), nullptr);
  EXPECT_NE(row_of(import, "198.51.100.0/c@example.org/r@x.example"), nullptr);
  EXPECT_EQ(postgrey_warnings(import, engine.settings()),
            (std::vector<std::string>{
                "3 triplets were keyed by host (postgrey --lookup-by-host) and grayling keys by network: they are "
                "filed under grayling's network keys",
                "1 triplets were keyed by networks narrower than grayling's /24 and /64 (postgrey --ipv4cidr, "
                "--ipv6cidr): they are filed under grayling's networks"}));

  // A grayling that keys by host keeps keys by host as they are, and cannot use networks.
  EngineSettings by_host;
  by_host.keys.lookup_by_host = true;
  const PolicyEngine host_engine = engine_with(by_host);
  const PostgreyImport hosts = grayling_rows(state, host_engine);
  EXPECT_EQ(hosts.rows.triplets.size(), 3U);
  EXPECT_EQ(hosts.rekeyed_triplets, 0U);
  EXPECT_EQ(hosts.skipped, (std::vector<PostgreySkip>{{"postgrey.db", "198.51.100.16/c@example.org/r@x.example",
                                                       PostgreySkipReason::network_key_by_host}}));
  EXPECT_EQ(postgrey_warnings(hosts, host_engine.settings()),
            (std::vector<std::string>{"1 triplets are keyed by network and grayling keys by host (--lookup-by-host): "
                                      "it would never look them up, so they are not imported (run grayling without "
                                      "--lookup-by-host to import them)"}));
}

TEST(PostgreyKeys, NetworksWiderThanGraylingsAreToldByEnoughOfThem) {
  PostgreyState state;
  for (int n = 1; n <= 8; ++n) state.triplets.push_back({"10." + std::to_string(n) + ".0.0/d@x/r@y", 1000, 1000});
  const PolicyEngine engine = engine_with();
  const PostgreyImport wide = grayling_rows(state, engine);
  EXPECT_EQ(wide.wider_ipv4, 16);
  EXPECT_TRUE(wide.rows.triplets.empty());
  EXPECT_EQ(wide.skipped.size(), 8U);
  EXPECT_EQ(wide.skipped[0].reason, PostgreySkipReason::wider_ipv4_network);
  EXPECT_EQ(postgrey_warnings(wide, engine.settings()),
            (std::vector<std::string>{"8 triplets are keyed by /16 networks (postgrey --ipv4cidr=16?) and grayling keys "
                                      "by /24: it would never look them up, so they are not imported (give grayling "
                                      "--ipv4cidr=16 to import them)"}));
  EngineSettings by_16;
  by_16.keys.ipv4_prefix = 16;
  EXPECT_EQ(grayling_rows(state, engine_with(by_16)).rows.triplets.size(), 8U);

  // Seven networks are too few to tell; so are eight that are only one bit short (/23),
  // as /24s with an even third byte are.
  state.triplets.pop_back();
  EXPECT_EQ(grayling_rows(state, engine).rows.triplets.size(), 7U);
  PostgreyState even;
  for (int n = 1; n <= 8; ++n) even.triplets.push_back({"10." + std::to_string(n) + ".2.0/d@x/r@y", 1000, 1000});
  const PostgreyImport one_bit = grayling_rows(even, engine);
  EXPECT_FALSE(one_bit.wider_ipv4);
  EXPECT_EQ(one_bit.rows.triplets.size(), 8U);
}

TEST(PostgreyKeys, DigestsNeedGraylingsPrivacyAndClearKeysGetItsHash) {
  PostgreyState state;
  const std::string clear = "192.0.2.0/a@example.org/r@x.example";
  state.triplets = {{sha1_hex(clear), 1000, 1000}, {"192.0.2.0/b@example.org/r@x.example", 1000, 1000}};
  state.clients = {{sha1_hex("192.0.2.7"), 3, 1000}, {"192.0.2.9", 2, 1000}};
  const PolicyEngine plain = engine_with();
  const PostgreyImport without = grayling_rows(state, plain);
  EXPECT_EQ(without.rows.triplets.size(), 1U);
  EXPECT_EQ(without.rows.clients.size(), 1U);
  EXPECT_EQ(without.skipped,
            (std::vector<PostgreySkip>{{"postgrey.db", sha1_hex(clear), PostgreySkipReason::digest_without_privacy},
                                       {"postgrey_clients.db", sha1_hex("192.0.2.7"),
                                        PostgreySkipReason::digest_without_privacy}}));
  EXPECT_EQ(postgrey_warnings(without, plain.settings()),
            (std::vector<std::string>{
                "1 triplets are SHA-1 digests (postgrey --privacy) and grayling runs without --privacy: it would never "
                "look them up, so they are not imported (give grayling --privacy to import them)",
                "1 auto-whitelisted clients are SHA-1 digests (postgrey --privacy) and grayling runs without "
                "--privacy: it would never look them up, so they are not imported (give grayling --privacy to "
                "import them)"}));

  EngineSettings privacy;
  privacy.privacy = true;
  const PostgreyImport with = grayling_rows(state, engine_with(privacy));
  EXPECT_TRUE(with.skipped.empty());
  EXPECT_NE(row_of(with, sha1_hex(clear)), nullptr);
  EXPECT_NE(row_of(with, sha1_hex("192.0.2.0/b@example.org/r@x.example")), nullptr);  // hashed as grayling hashes
  EXPECT_EQ(with.rekeyed_triplets, 1U);
  EXPECT_EQ(with.rekeyed_clients, 1U);

  // Counted by network (--awl-prefix): addresses become their network, the higher count
  // kept; a digest of an address cannot.
  privacy.awl_by_prefix = true;
  state.clients.push_back({"192.0.2.10", 5, 900});
  const PolicyEngine by_network = engine_with(privacy);
  const PostgreyImport networks = grayling_rows(state, by_network);
  ASSERT_EQ(networks.rows.clients.size(), 1U);
  EXPECT_EQ(networks.rows.clients[0].key, sha1_hex("192.0.2.0"));
  EXPECT_EQ(networks.rows.clients[0].record, (ClientRecord{5, 1000}));
  EXPECT_EQ(networks.skipped, (std::vector<PostgreySkip>{{"postgrey_clients.db", sha1_hex("192.0.2.7"),
                                                          PostgreySkipReason::digest_by_network}}));
}

}  // namespace
}  // namespace grayling
