// grayling-admin list's filters and the names of rows and times it reads.
#include "grayling/admin/row_listing.hpp"

#include <gtest/gtest.h>

#include "grayling/admin/time_text.hpp"
#include "grayling/store/row_ids.hpp"

namespace grayling {
namespace {

TripletRow row_of(const std::string& key, bool passed = false, EpochSeconds first_seen = 100) {
  return TripletRow{store_key_digest(key), {first_seen, first_seen + 10, passed}, key};
}

TEST(TripletKeyParts, SplitAsTheEngineJoins) {
  const auto parts = split_triplet_key("192.0.2.0/alice@example.org/bob@example.net");
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->client, "192.0.2.0");
  EXPECT_EQ(parts->sender, "alice@example.org");
  EXPECT_EQ(parts->recipient, "bob@example.net");
  const auto by_host = split_triplet_key("198.51.100.7/32//bob@example.net");  // --lookup-by-host, null sender
  ASSERT_TRUE(by_host);
  EXPECT_EQ(by_host->client, "198.51.100.7/32");
  EXPECT_EQ(by_host->sender, "");
  const auto slashed = split_triplet_key("192.0.2.0/a/b@x/c@y");  // a '/' in the sender
  ASSERT_TRUE(slashed);
  EXPECT_EQ(slashed->sender, "a/b@x");
  EXPECT_EQ(slashed->recipient, "c@y");
  EXPECT_FALSE(split_triplet_key("0123456789abcdef0123456789abcdef01234567"));  // --privacy
  EXPECT_FALSE(split_triplet_key(""));
}

TEST(RowFilter, MatchesKeysAsTheEngineBuildsThem) {
  const PolicyEngine engine{EngineSettings{}};
  const auto filter = RowFilter::from_options(engine, "192.0.2.77", "Alice+News@Example.ORG", std::nullopt);
  EXPECT_EQ(filter.client, "192.0.2.0");
  EXPECT_EQ(filter.sender, "alice@example.org");
  EXPECT_TRUE(filter.matches(row_of("192.0.2.0/alice@example.org/bob@example.net")));
  EXPECT_FALSE(filter.matches(row_of("192.0.2.0/mallory@example.org/bob@example.net")));
  EXPECT_FALSE(filter.matches(row_of("198.51.100.0/alice@example.org/bob@example.net")));
  EXPECT_FALSE(filter.matches(TripletRow{1, {1, 2, false}, ""}));  // a row without its key

  const auto domain = RowFilter::from_options(engine, std::nullopt, std::nullopt, "@Example.NET");
  EXPECT_TRUE(domain.matches(row_of("192.0.2.0/a@x/bob@example.net")));
  EXPECT_FALSE(domain.matches(row_of("192.0.2.0/a@x/bob@example.network")));

  const auto v6 = RowFilter::from_options(engine, "2001:db8:1:2::99", std::nullopt, std::nullopt);
  EXPECT_EQ(v6.client, "2001:db8:1:2:0:0:0:0");
  EXPECT_THROW((void)RowFilter::from_options(engine, "mx.example.org", std::nullopt, std::nullopt),
               std::invalid_argument);

  RowFilter state;
  state.passed = true;
  state.first_seen_before = 150;
  EXPECT_FALSE(state.reads_keys());
  EXPECT_TRUE(state.matches(row_of("k", true, 100)));
  EXPECT_FALSE(state.matches(row_of("k", false, 100)));
  EXPECT_FALSE(state.matches(row_of("k", true, 150)));
  EXPECT_TRUE(state.matches(TripletRow{1, {1, 2, true}, ""}));  // no key needed
}

TEST(RowListing, LinesNameTheRowAndARowWithoutKeySaysSo) {
  const auto row = row_of("192.0.2.0/a@x/b@y", true, 1796126400);
  EXPECT_EQ(triplet_table_line(row).substr(16), "  passed   2026-12-01 12:00:00 UTC  2026-12-01 12:00:10 UTC  192.0.2.0/a@x/b@y");
  EXPECT_NE(triplet_table_line(TripletRow{1, {1, 2, false}, ""}).find(kUnknownKey), std::string::npos);
  EXPECT_EQ(triplet_json(row).substr(0, 16), R"({"type":"triplet)");
  EXPECT_NE(triplet_json(row).find(R"("client":"192.0.2.0","sender":"a@x","recipient":"b@y","state":"passed")"),
            std::string::npos)
      << triplet_json(row);
  // A key that is not UTF-8 shows U+FFFD where JSON cannot hold its bytes.
  EXPECT_NE(triplet_json(TripletRow{1, {1, 2, false}, "\xff"}).find("\xef\xbf\xbd"), std::string::npos);
  EXPECT_NE(client_json(ClientRow{2, {5, 9}, "192.0.2.1"}, 5).find(R"("count":5,"whitelisted":true)"),
            std::string::npos);
}

TEST(RowListing, DetailsSayWhatTheEngineWouldMakeOfTheRow) {
  EngineSettings settings;  // delay 300, retry window 2 days, max-age 35 days
  const auto pending = row_of("192.0.2.0/a@x/b@y", false, 1000);
  EXPECT_NE(triplet_details(pending, settings, 1100).find("a retry passes from"), std::string::npos);
  EXPECT_NE(triplet_details(pending, settings, 1100).find("(200 s from now)"), std::string::npos);
  EXPECT_NE(triplet_details(pending, settings, 1400).find("the next retry passes"), std::string::npos);
  EXPECT_NE(triplet_details(pending, settings, 1000 + 3 * 86400).find("retry window has closed"), std::string::npos);
  EXPECT_NE(triplet_details(row_of("k", true, 1000), settings, 2000).find("passed; kept until"), std::string::npos);
  EXPECT_NE(triplet_details(row_of("k", true, 1000), settings, 1000 + 40 * 86400).find("expired"), std::string::npos);
  EXPECT_NE(client_details(ClientRow{1, {3, 1000}, "192.0.2.1"}, settings, 2000).find("counting: 3 of 5"),
            std::string::npos);
}

TEST(TimeText, MomentsAsAnAdministratorWritesThem) {
  const EpochSeconds now = 1796126400;  // 2026-12-01 12:00:00 UTC
  EXPECT_EQ(utc_text(now), "2026-12-01 12:00:00 UTC");
  EXPECT_EQ(parse_when("1796126400", now), now);
  EXPECT_EQ(parse_when("@5", now), 5);
  EXPECT_EQ(parse_when("2026-12-01 12:00", now), now);
  EXPECT_EQ(parse_when("2026-12-01T12:00:30Z", now), now + 30);
  EXPECT_EQ(parse_when("+10m", now), now + 600);
  EXPECT_EQ(parse_when("-1h", now), now - 3600);
  for (const char* bad : {"", "tomorrow", "2026-13-01 00:00", "2026-12-01", "2026-12-01 12:00:", "+", "+5x"}) {
    EXPECT_FALSE(parse_when(bad, now)) << bad;
  }
}

}  // namespace
}  // namespace grayling
