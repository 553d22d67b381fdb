// explain(): the engine's own steps for one request, with what each looked at. The
// decision must be the one decide() makes; these tests pin what is reported beside it.
#include "grayling/core/explanation.hpp"

#include <gtest/gtest.h>

namespace grayling {
namespace {

constexpr EpochSeconds kNow = 1'000'000;

PolicyRequest request_from(const std::string& address, const std::string& name = "mx.example.org",
                           const std::string& recipient = "bob@example.net") {
  PolicyRequest request;
  request.set("request", "smtpd_access_policy");
  request.set("protocol_state", "RCPT");
  request.set("client_address", address);
  request.set("client_name", name);
  request.set("sender", "alice@example.org");
  request.set("recipient", recipient);
  request.set("etrn_domain", "");
  return request;
}

/// A loader over fixed rows, counting its calls.
struct FixedRows {
  Records rows;
  int calls = 0;
  RecordLoader loader() {
    return [this](const RecordKeys&) {
      ++calls;
      return rows;
    };
  }
};

PolicyEngine engine_with_whitelists() {
  Whitelists lists;
  std::vector<WhitelistIssue> issues;
  add_whitelist_text(lists.clients, "# trusted\n\nexample.com\n  192.0.2.64/26  # office\n", "clients.local", issues);
  add_whitelist_text(lists.recipients, "postmaster@\n", "recipients", issues);
  EXPECT_TRUE(issues.empty());
  return PolicyEngine(EngineSettings{}, std::move(lists));
}

TEST(Explain, AWhitelistPassNamesTheEntryByFileAndLineAndReadsNoStore) {
  const PolicyEngine engine = engine_with_whitelists();
  FixedRows rows;
  const Explanation office = explain(engine, request_from("192.0.2.70"), rows.loader(), std::nullopt, kNow, false);
  EXPECT_EQ(office.outcome, "pass");
  EXPECT_EQ(office.decision.reason, "client whitelist");
  ASSERT_TRUE(office.whitelist);
  EXPECT_EQ(office.whitelist->describe(), "clients.local:4: 192.0.2.64/26");
  EXPECT_EQ(office.decision.action, "DUNNO");
  EXPECT_FALSE(office.lookup);
  EXPECT_EQ(rows.calls, 0);

  const Explanation by_name =
      explain(engine, request_from("198.51.100.1", "mail.sub.example.com"), rows.loader(), std::nullopt, kNow, false);
  ASSERT_TRUE(by_name.whitelist);
  EXPECT_EQ(by_name.whitelist->describe(), "clients.local:3: example.com");

  const Explanation recipient = explain(engine, request_from("198.51.100.1", "unknown", "postmaster@example.net"),
                                        rows.loader(), std::nullopt, kNow, false);
  EXPECT_EQ(recipient.decision.reason, "recipient whitelist");
  ASSERT_TRUE(recipient.whitelist);
  EXPECT_EQ(recipient.whitelist->describe(), "recipients:1: postmaster@");
}

TEST(Explain, ANewTripletIsGreylistedWithTheDaemonsExactReplyAndTheFullDelayLeft) {
  const PolicyEngine engine{EngineSettings{}};
  FixedRows rows;
  const Explanation explanation = explain(engine, request_from("198.51.100.7"), rows.loader(), std::nullopt, kNow, false);
  EXPECT_EQ(rows.calls, 1);
  EXPECT_EQ(explanation.outcome, "greylist");
  EXPECT_EQ(explanation.decision.reason, "new");
  EXPECT_EQ(explanation.decision.action,
            "DEFER_IF_PERMIT 4.2.0 Greylisted, see http://postgrey.schweikert.ch/help/example.net.html");
  ASSERT_TRUE(explanation.lookup);
  EXPECT_EQ(explanation.lookup->key, "198.51.100.0/alice@example.org/bob@example.net");
  EXPECT_EQ(explanation.lookup->client_key, "198.51.100.7");
  EXPECT_EQ(explanation.seconds_left, 300);
  EXPECT_FALSE(explanation.triplet);
  ASSERT_TRUE(explanation.triplet_after);
  EXPECT_EQ(*explanation.triplet_after, (TripletRecord{kNow, kNow, false}));
  EXPECT_EQ(explanation.at, kNow);

  // Training mode (--no-action): the same decision, answered DUNNO.
  EXPECT_EQ(explain(engine, request_from("198.51.100.7"), rows.loader(), std::nullopt, kNow, true).decision.action,
            "DUNNO");
}

TEST(Explain, AnEarlyRetryReportsTheStoredRowAndTheSecondsLeft) {
  const PolicyEngine engine{EngineSettings{}};
  FixedRows rows;
  rows.rows.triplets.emplace("198.51.100.0/alice@example.org/bob@example.net", TripletRecord{kNow - 100, kNow - 100});
  rows.rows.clients.emplace("198.51.100.7", ClientRecord{3, kNow - 5000});
  const Explanation explanation = explain(engine, request_from("198.51.100.7"), rows.loader(), std::nullopt, kNow, false);
  EXPECT_EQ(explanation.outcome, "early retry");
  EXPECT_EQ(explanation.decision.reason, "early-retry (200s missing)");
  EXPECT_EQ(explanation.seconds_left, 200);
  EXPECT_EQ(explanation.triplet, (TripletRecord{kNow - 100, kNow - 100, false}));
  EXPECT_EQ(explanation.client, (ClientRecord{3, kNow - 5000}));

  // --at: the same row, explained later, passes with the X-Greylist header.
  const Explanation later = explain(engine, request_from("198.51.100.7"), rows.loader(), kNow + 250, kNow, false);
  EXPECT_EQ(later.at, kNow + 250);
  EXPECT_EQ(later.outcome, "pass");
  EXPECT_EQ(later.seconds_left, 0);
  EXPECT_EQ(later.decision.delay, 350);
  EXPECT_EQ(later.decision.action.rfind("PREPEND X-Greylist: delayed 350 seconds by grayling-", 0), 0U)
      << later.decision.action;
  ASSERT_TRUE(later.client_after);
  EXPECT_EQ(later.client_after->count, 4);
}

TEST(Explain, AnAutoWhitelistedClientPassesAndTheStoresClockIsUsed) {
  const PolicyEngine engine{EngineSettings{}};
  FixedRows rows;
  rows.rows.clients.emplace("198.51.100.7", ClientRecord{5, kNow - 10});
  rows.rows.now = kNow + 7;  // a shared store's clock
  const Explanation explanation = explain(engine, request_from("198.51.100.7"), rows.loader(), std::nullopt, kNow, false);
  EXPECT_EQ(explanation.outcome, "pass");
  EXPECT_EQ(explanation.decision.reason, "client AWL");
  EXPECT_EQ(explanation.at, kNow + 7);
  EXPECT_FALSE(explanation.seconds_left);
}

TEST(Explain, ARequestTheDaemonSkipsIsExplainedAsSkipped) {
  const PolicyEngine engine{EngineSettings{}};
  FixedRows rows;
  const Explanation explanation = explain(engine, request_from("not-an-address"), rows.loader(), std::nullopt, kNow, false);
  EXPECT_EQ(explanation.outcome, "skip");
  EXPECT_EQ(explanation.decision.action, "DUNNO");
  EXPECT_EQ(rows.calls, 0);
}

}  // namespace
}  // namespace grayling
