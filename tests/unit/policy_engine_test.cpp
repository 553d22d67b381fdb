#include "grayling/core/policy_engine.hpp"

#include <gtest/gtest.h>

#include "grayling/core/sha1.hpp"

namespace grayling {
namespace {

constexpr EpochSeconds kT0 = 1'700'000'000;

PolicyRequest rcpt_request(std::string_view client = "192.0.2.7", std::string_view sender = "a@example.net",
                           std::string_view recipient = "b@example.org") {
  PolicyRequest request;
  request.set("request", "smtpd_access_policy");
  request.set("protocol_state", "RCPT");
  request.set("client_address", client);
  request.set("client_name", "mail.example.net");
  request.set("sender", sender);
  request.set("recipient", recipient);
  request.set("etrn_domain", "");
  return request;
}

/// Drives the engine the way the decision service does: screen, then decide over the
/// records "stored" so far (a plain Records: the engine is pure), with an explicit clock.
class Timeline {
 public:
  explicit Timeline(EngineSettings settings, Whitelists whitelists = {})
      : engine_(std::move(settings), std::move(whitelists)) {}

  Decision at(EpochSeconds now, const PolicyRequest& request) {
    auto screened = engine_.screen(request);
    if (auto* decided = std::get_if<Decision>(&screened)) return *decided;
    RecordBatch batch(store_);
    Decision decision = engine_.decide_into(std::get<TripletLookup>(screened), batch, now);
    store_ = batch.records();
    return decision;
  }

  /// Greylists then passes one triplet from `client`; returns the pass.
  Decision pass_new_triplet(EpochSeconds now, std::string_view client, std::string_view recipient) {
    (void)at(now, rcpt_request(client, "a@example.net", recipient));
    return at(now + engine_.settings().delay, rcpt_request(client, "a@example.net", recipient));
  }

  /// Decides a request whose client `domain` authorised by SPF, as the daemon does once
  /// the SPF check passed.
  Decision authorised_at(EpochSeconds now, std::string_view client, std::string_view domain,
                         std::string_view sender = "a@example.net", std::string_view recipient = "b@example.org") {
    RecordBatch batch(store_);
    const TripletLookup lookup = engine_.lookup_authorised(*IpAddress::parse(client), domain, sender, recipient);
    Decision decision = engine_.decide_into(lookup, batch, now);
    store_ = batch.records();
    return decision;
  }

  PolicyEngine engine_;
  Records store_;  // what a store would hold
};

/// A timeline with postgrey's default settings.
class EngineTimeline : public ::testing::Test {
 protected:
  Decision at(EpochSeconds now, const PolicyRequest& request = rcpt_request()) { return timeline_.at(now, request); }

  Timeline timeline_{EngineSettings{}};
  Records& store_ = timeline_.store_;
};

TEST_F(EngineTimeline, NewTripletIsGreylistedWithPostgreysReply) {
  const Decision decision = at(kT0);
  EXPECT_EQ(decision.outcome, Decision::Outcome::greylist);
  EXPECT_EQ(decision.reason, "new");
  EXPECT_EQ(decision.action, "DEFER_IF_PERMIT 4.2.0 Greylisted, see http://postgrey.schweikert.ch/help/example.org.html");
}

TEST_F(EngineTimeline, EarlyRetryCountsTheSecondsMissing) {
  (void)at(kT0);
  const Decision decision = at(kT0 + 60);
  EXPECT_EQ(decision.outcome, Decision::Outcome::greylist);
  EXPECT_EQ(decision.reason, "early-retry (240s missing)");
}

TEST_F(EngineTimeline, SameSecondTwiceIsNewBothTimes) {
  EXPECT_EQ(at(kT0).reason, "new");
  EXPECT_EQ(at(kT0).reason, "new");
}

TEST_F(EngineTimeline, PassesAfterTheDelayAndReportsIt) {
  (void)at(kT0);
  const Decision first_pass = at(kT0 + 301);
  EXPECT_EQ(first_pass.outcome, Decision::Outcome::pass);
  EXPECT_EQ(first_pass.reason, "triplet found");
  EXPECT_EQ(first_pass.action, "DUNNO");
  ASSERT_TRUE(first_pass.delay);
  EXPECT_EQ(*first_pass.delay, 301);
  const Decision later = at(kT0 + 400);
  EXPECT_EQ(later.outcome, Decision::Outcome::pass);
  EXPECT_FALSE(later.delay);
}

TEST_F(EngineTimeline, ExactlyTheDelayPasses) {
  (void)at(kT0);
  EXPECT_EQ(at(kT0 + 299).outcome, Decision::Outcome::greylist);
  EXPECT_EQ(at(kT0 + 300).outcome, Decision::Outcome::pass);
}

TEST_F(EngineTimeline, RetryAfterTheRetryWindowIsNewAgain) {
  (void)at(kT0);
  const Decision late = at(kT0 + 2 * 86400 + 1);
  EXPECT_EQ(late.outcome, Decision::Outcome::greylist);
  EXPECT_EQ(late.reason, "new");
  EXPECT_EQ(at(kT0 + 2 * 86400 + 301).outcome, Decision::Outcome::pass);
}

TEST_F(EngineTimeline, RetryJustInsideTheRetryWindowPasses) {
  (void)at(kT0);
  EXPECT_EQ(at(kT0 + 2 * 86400).outcome, Decision::Outcome::pass);
}

TEST_F(EngineTimeline, PassedTripletOutlivesTheRetryWindow) {
  (void)at(kT0);
  (void)at(kT0 + 301);
  EXPECT_EQ(at(kT0 + 10 * 86400).outcome, Decision::Outcome::pass);
}

TEST_F(EngineTimeline, PassedTripletUnusedForMaxAgeIsForgotten) {
  (void)at(kT0);
  (void)at(kT0 + 301);
  EXPECT_EQ(at(kT0 + 301 + 35 * 86400).outcome, Decision::Outcome::pass);  // exactly max-age: still known
  const Decision forgotten = at(kT0 + 301 + 70 * 86400 + 1);
  EXPECT_EQ(forgotten.outcome, Decision::Outcome::greylist);
  EXPECT_EQ(forgotten.reason, "new");
}

TEST_F(EngineTimeline, RegularUseKeepsAPassedTripletAlive) {
  (void)at(kT0);
  EpochSeconds now = kT0 + 301;
  (void)at(now);
  for (int week = 1; week <= 20; ++week) {
    now += 7 * 86400;
    EXPECT_EQ(at(now).outcome, Decision::Outcome::pass) << "week " << week;
  }
}

TEST_F(EngineTimeline, KnownTripletHitsDoNotRewriteWithinTheTouchInterval) {
  (void)at(kT0);
  (void)at(kT0 + 301);
  const TripletRecord before = *store_.triplet("192.0.2.0/a@example.net/b@example.org");
  (void)at(kT0 + 302);
  (void)at(kT0 + 1000);
  EXPECT_EQ(*store_.triplet("192.0.2.0/a@example.net/b@example.org"), before);
  (void)at(kT0 + 301 + 3600);
  EXPECT_EQ(store_.triplet("192.0.2.0/a@example.net/b@example.org")->last_seen, kT0 + 301 + 3600);
}

TEST_F(EngineTimeline, FirstSeenInTheFutureIsCorrected) {
  store_.triplets["192.0.2.0/a@example.net/b@example.org"] = TripletRecord{kT0 + 1000, kT0 + 1000, false};
  const Decision decision = at(kT0);
  EXPECT_EQ(decision.reason, "new");
  EXPECT_EQ(store_.triplet("192.0.2.0/a@example.net/b@example.org")->first_seen, kT0);
}

TEST_F(EngineTimeline, SameSubnetSharesTheTriplet) {
  (void)at(kT0, rcpt_request("192.0.2.7"));
  EXPECT_EQ(at(kT0 + 301, rcpt_request("192.0.2.200")).outcome, Decision::Outcome::pass);
  EXPECT_EQ(at(kT0 + 301, rcpt_request("192.0.3.7")).reason, "new");
  (void)at(kT0, rcpt_request("2001:db8:1:2::5"));
  EXPECT_EQ(at(kT0 + 301, rcpt_request("2001:db8:1:2::99")).outcome, Decision::Outcome::pass);
  EXPECT_EQ(at(kT0 + 301, rcpt_request("2001:db8:1:3::5")).reason, "new");
}

TEST_F(EngineTimeline, SenderNormalisationMakesVerpRetriesMatch) {
  (void)at(kT0, rcpt_request("192.0.2.7", "bounce-1111@lists.example"));
  EXPECT_EQ(at(kT0 + 301, rcpt_request("192.0.2.7", "bounce-2222@lists.example")).outcome, Decision::Outcome::pass);
}

TEST_F(EngineTimeline, RecipientCaseDoesNotMatter) {
  (void)at(kT0, rcpt_request("192.0.2.7", "a@example.net", "B@Example.ORG"));
  EXPECT_EQ(at(kT0 + 301).outcome, Decision::Outcome::pass);
}

TEST_F(EngineTimeline, NullSenderIsANormalRequest) {
  EXPECT_EQ(at(kT0, rcpt_request("192.0.2.7", "")).reason, "new");
  EXPECT_EQ(at(kT0 + 301, rcpt_request("192.0.2.7", "")).reason, "triplet found");
}

// SPF equivalence: a retry from another of the domain's authorised servers, in another
// network, is the same triplet; the keys say so.
TEST_F(EngineTimeline, AnSpfAuthorisedRetryFromAnotherNetworkIsTheSameTriplet) {
  EXPECT_EQ(timeline_.authorised_at(kT0, "192.0.2.7", "Example.NET.").reason, "new");
  EXPECT_TRUE(store_.triplet("spf:example.net/a@example.net/b@example.org"));
  EXPECT_EQ(timeline_.authorised_at(kT0 + 100, "198.51.100.9", "example.net").reason, "early-retry (200s missing)");
  const Decision pass = timeline_.authorised_at(kT0 + 300, "203.0.113.4", "example.net");
  EXPECT_EQ(pass.outcome, Decision::Outcome::pass);
  EXPECT_EQ(pass.delay, 300);
  // A client the domain does not authorise is keyed by its network, as ever.
  EXPECT_EQ(at(kT0 + 400, rcpt_request("203.0.113.4")).reason, "new");
}

// A triplet known by its network key from before (or from a time DNS failed) is not
// greylisted again when SPF now passes: its row carries over to the SPF key.
TEST_F(EngineTimeline, ATripletKnownByItsNetworkCarriesOverToItsSpfKey) {
  (void)at(kT0);
  EXPECT_EQ(at(kT0 + 300).outcome, Decision::Outcome::pass);
  const Decision again = timeline_.authorised_at(kT0 + 400, "192.0.2.7", "example.net");
  EXPECT_EQ(again.outcome, Decision::Outcome::pass);
  EXPECT_FALSE(again.delay) << "not a first pass";
  EXPECT_EQ(store_.triplet("spf:example.net/a@example.net/b@example.org")->first_seen, kT0);
  // Pending by network, retried after the delay with SPF passing: it passes.
  (void)at(kT0, rcpt_request("198.51.100.1", "c@example.net"));
  EXPECT_EQ(timeline_.authorised_at(kT0 + 300, "198.51.100.1", "example.net", "c@example.net").delay, 300);
}

TEST(EngineReply, TextPlaceholdersAndPrefixRule) {
  EngineSettings settings;
  settings.greylist_text = "wait %s s for %r, not %s";
  settings.greylist_action = "DEFER";
  PolicyEngine engine(settings);
  RecordBatch batch{Records{}};
  auto request = rcpt_request();
  auto lookup = std::get<TripletLookup>(engine.screen(request));
  EXPECT_EQ(engine.decide_into(lookup, batch, kT0).action, "DEFER 4.2.0 wait 300 s for example.org, not %s");

  request = rcpt_request();
  PolicyRequest without_etrn;
  for (const char* name : {"request", "protocol_state", "client_address", "client_name", "sender", "recipient"}) {
    without_etrn.set(name, request.value(name));
  }
  lookup = std::get<TripletLookup>(engine.screen(without_etrn));
  EXPECT_EQ(engine.decide_into(lookup, batch, kT0 + 100).action, "DEFER wait 200 s for example.org, not %s");
}

TEST(EngineReply, PercentRWithoutAtIsTheWholeRecipient) {
  // postgrey: %r is the recipient's domain, or the whole recipient when it has no '@'.
  PolicyEngine engine(EngineSettings{});
  const auto lookup = std::get<TripletLookup>(engine.screen(rcpt_request("192.0.2.7", "a@example.net", "postmaster")));
  EXPECT_EQ(engine.decide(lookup, Records{}, kT0).decision.action,
            "DEFER_IF_PERMIT 4.2.0 Greylisted, see http://postgrey.schweikert.ch/help/postmaster.html");
}

TEST(EngineReply, TextStartingWithADigitGetsNoPrefix) {
  EngineSettings settings;
  settings.greylist_text = "4.7.1 come back later";
  PolicyEngine engine(settings);
  Records store;
  const auto lookup = std::get<TripletLookup>(engine.screen(rcpt_request()));
  EXPECT_EQ(engine.decide(lookup, store, kT0).decision.action, "DEFER_IF_PERMIT 4.7.1 come back later");
}

TEST(EngineSettingsTest, DelayAndLookupByHost) {
  EngineSettings settings;
  settings.delay = 1;
  settings.keys.lookup_by_host = true;
  PolicyEngine engine(settings);
  Records store;
  auto decide = [&](std::string_view client, EpochSeconds now) {
    RecordBatch batch(store);
    Decision decision = engine.decide_into(std::get<TripletLookup>(engine.screen(rcpt_request(client))), batch, now);
    store = batch.records();
    return decision;
  };
  EXPECT_EQ(decide("192.0.2.7", kT0).outcome, Decision::Outcome::greylist);
  EXPECT_EQ(decide("192.0.2.7", kT0 + 1).outcome, Decision::Outcome::pass);
  EXPECT_EQ(decide("192.0.2.8", kT0 + 1).outcome, Decision::Outcome::greylist);
}

struct ScreenCase {
  const char* name;
  std::vector<std::pair<const char*, const char*>> attributes;
  bool warning;
  const char* reason_contains;
};

class Screening : public ::testing::TestWithParam<ScreenCase> {};

TEST_P(Screening, SkipsWithDunno) {
  PolicyRequest request;
  for (const auto& [name, value] : GetParam().attributes) request.set(name, value);
  PolicyEngine engine{EngineSettings{}};
  auto screened = engine.screen(request);
  ASSERT_TRUE(std::holds_alternative<Decision>(screened));
  const auto& decision = std::get<Decision>(screened);
  EXPECT_EQ(decision.outcome, Decision::Outcome::skip);
  EXPECT_EQ(decision.action, "DUNNO");
  EXPECT_EQ(decision.warning, GetParam().warning);
  EXPECT_NE(decision.reason.find(GetParam().reason_contains), std::string::npos) << decision.reason;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Screening,
    ::testing::Values(
        ScreenCase{"unknown_type", {{"request", "junk"}, {"client_address", "192.0.2.1"}, {"recipient", "b@x"}}, true,
                   "unrecognized request type: 'junk'"},
        ScreenCase{"no_type", {{"client_address", "192.0.2.1"}, {"recipient", "b@x"}}, true, "unrecognized"},
        ScreenCase{"data_state",
                   {{"request", "smtpd_access_policy"}, {"protocol_state", "DATA"}, {"client_address", "192.0.2.1"}},
                   false, "DATA"},
        ScreenCase{"end_of_message",
                   {{"request", "smtpd_access_policy"}, {"protocol_state", "END-OF-MESSAGE"}, {"recipient", "b@x"}},
                   false, "END-OF-MESSAGE"},
        ScreenCase{"missing_client",
                   {{"request", "smtpd_access_policy"},
                    {"protocol_state", "RCPT"},
                    {"client_name", "x"},
                    {"sender", ""},
                    {"recipient", "b@x"}},
                   true, "attribute missing: client_address"},
        // postgrey's rule: each of the four must be present (empty is fine for the sender).
        ScreenCase{"missing_client_name",
                   {{"request", "smtpd_access_policy"},
                    {"protocol_state", "RCPT"},
                    {"client_address", "192.0.2.1"},
                    {"sender", "a@y"},
                    {"recipient", "b@x"}},
                   true, "attribute missing: client_name"},
        ScreenCase{"missing_sender",
                   {{"request", "smtpd_access_policy"},
                    {"protocol_state", "RCPT"},
                    {"client_address", "192.0.2.1"},
                    {"client_name", "x"},
                    {"recipient", "b@x"}},
                   true, "attribute missing: sender"},
        ScreenCase{"missing_recipient",
                   {{"request", "smtpd_access_policy"},
                    {"protocol_state", "RCPT"},
                    {"client_address", "192.0.2.1"},
                    {"client_name", "x"},
                    {"sender", "a@y"}},
                   true, "attribute missing: recipient"},
        ScreenCase{"empty_recipient",
                   {{"request", "smtpd_access_policy"},
                    {"protocol_state", "RCPT"},
                    {"client_address", "192.0.2.1"},
                    {"client_name", "x"},
                    {"sender", "a@y"},
                    {"recipient", ""}},
                   true, "attribute empty: recipient"},
        ScreenCase{"bad_address",
                   {{"request", "smtpd_access_policy"},
                    {"protocol_state", "RCPT"},
                    {"client_address", "garbage"},
                    {"client_name", "x"},
                    {"sender", "a@y"},
                    {"recipient", "b@x"}},
                   true, "unparseable client_address: 'garbage'"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace grayling

namespace grayling {
namespace {


TEST(AutoWhitelist, ClientIsTrustedAfterNFirstPassesAnHourApart) {
  EngineSettings settings;
  settings.auto_whitelist_clients = 3;
  Timeline t(settings);
  EpochSeconds now = kT0;
  for (int i = 1; i <= 3; ++i) {
    const Decision pass = t.pass_new_triplet(now, "192.0.2.7", "r" + std::to_string(i) + "@example.org");
    EXPECT_EQ(pass.reason, "triplet found");
    EXPECT_EQ(pass.client_whitelisted, i == 3) << i;
    now += 3600;
  }
  const Decision trusted = t.at(now, rcpt_request("192.0.2.7", "new@sender.example", "new@example.org"));
  EXPECT_EQ(trusted.outcome, Decision::Outcome::pass);
  EXPECT_EQ(trusted.reason, "client AWL");
  EXPECT_FALSE(t.store_.triplet("192.0.2.0/new@sender.example/new@example.org"));  // nothing written
  // Per address, not per network: a neighbour is still greylisted.
  EXPECT_EQ(t.at(now, rcpt_request("192.0.2.8", "x@sender.example", "new@example.org")).reason, "new");
}

TEST(AutoWhitelist, PassesWithinAnHourCountOnce) {
  EngineSettings settings;
  settings.auto_whitelist_clients = 2;
  Timeline t(settings);
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(t.pass_new_triplet(kT0 + i, "192.0.2.7", "r" + std::to_string(i) + "@x").client_whitelisted);
  }
  EXPECT_EQ(t.store_.client("192.0.2.7")->count, 1);
  EXPECT_EQ(t.at(kT0 + 400, rcpt_request("192.0.2.7", "s@x", "other@x")).reason, "new");
}

TEST(AutoWhitelist, ZeroDisables) {
  EngineSettings settings;
  settings.auto_whitelist_clients = 0;
  Timeline t(settings);
  (void)t.pass_new_triplet(kT0, "192.0.2.7", "r@x");
  EXPECT_EQ(t.store_.clients.size(), 0U);
}

TEST(AutoWhitelist, ExpiresAfterMaxAge) {
  EngineSettings settings;
  settings.auto_whitelist_clients = 1;
  Timeline t(settings);
  EXPECT_TRUE(t.pass_new_triplet(kT0, "192.0.2.7", "r@x").client_whitelisted);
  EXPECT_EQ(t.at(kT0 + 1000, rcpt_request("192.0.2.7", "s@x", "q@x")).reason, "client AWL");
  EXPECT_EQ(t.at(kT0 + 1000 + 36 * 86400, rcpt_request("192.0.2.7", "s2@x", "q2@x")).reason, "new");
}

TEST(AutoWhitelist, ByPrefixCountsTheNetwork) {
  EngineSettings settings;
  settings.auto_whitelist_clients = 2;
  settings.awl_by_prefix = true;
  Timeline t(settings);
  (void)t.pass_new_triplet(kT0, "192.0.2.7", "r1@x");
  EXPECT_TRUE(t.pass_new_triplet(kT0 + 3600, "192.0.2.99", "r2@x").client_whitelisted);
  EXPECT_EQ(t.at(kT0 + 7200, rcpt_request("192.0.2.200", "s@x", "q@x")).reason, "client AWL");
}

// A client that comes as ::ffff:192.0.2.7 (an MTA on a dual-stack socket) is the IPv4
// client 192.0.2.7: one greylist entry, one auto-whitelist count, either way it comes.
TEST(MappedClients, AreTheirIpv4AddressForTripletsAndTheAutoWhitelist) {
  EngineSettings settings;
  settings.auto_whitelist_clients = 1;
  Timeline t(settings);
  EXPECT_EQ(t.at(kT0, rcpt_request("::ffff:192.0.2.7", "a@example.net", "r@x")).reason, "new");
  const Decision retry = t.at(kT0 + settings.delay, rcpt_request("192.0.2.8", "a@example.net", "r@x"));
  EXPECT_EQ(retry.reason, "triplet found");
  EXPECT_TRUE(retry.client_whitelisted);
  EXPECT_EQ(t.at(kT0 + 1000, rcpt_request("::ffff:192.0.2.8", "s@x", "q@x")).reason, "client AWL");
  ASSERT_EQ(t.store_.clients.size(), 1U);
  EXPECT_EQ(t.store_.clients.begin()->first, "192.0.2.8");
}

TEST(Privacy, KeysAreSha1Hex) {
  EngineSettings settings;
  settings.privacy = true;
  Timeline t(settings);
  (void)t.pass_new_triplet(kT0, "192.0.2.7", "b@example.org");
  EXPECT_FALSE(t.store_.triplet("192.0.2.0/a@example.net/b@example.org"));
  // The stored key is exactly postgrey's sha1_hex of the clear key.
  EXPECT_TRUE(t.store_.triplet(sha1_hex("192.0.2.0/a@example.net/b@example.org")));
  EXPECT_TRUE(t.store_.client(sha1_hex("192.0.2.7")));
  EXPECT_EQ(t.at(kT0 + 1000, rcpt_request("192.0.2.7", "a@example.net", "b@example.org")).reason, "triplet found");
}

TEST(StaticWhitelists, PassWithoutTouchingTheStore) {
  Whitelists lists;
  ASSERT_FALSE(lists.clients.add("example.net"));
  ASSERT_FALSE(lists.recipients.add("postmaster@"));
  Timeline t(EngineSettings{}, std::move(lists));
  auto request = rcpt_request();  // client_name mail.example.net
  auto screened = t.engine_.screen(request);
  ASSERT_TRUE(std::holds_alternative<Decision>(screened));
  EXPECT_EQ(std::get<Decision>(screened).reason, "client whitelist");
  EXPECT_EQ(std::get<Decision>(screened).outcome, Decision::Outcome::pass);

  request.set("client_name", "unknown");
  EXPECT_TRUE(std::holds_alternative<TripletLookup>(t.engine_.screen(request)));
  request.set("recipient", "Postmaster@example.org");
  EXPECT_EQ(std::get<Decision>(t.engine_.screen(request)).reason, "recipient whitelist");
}

TEST(GreylistHeader, PlaceholdersFirstOccurrence) {
  EngineSettings settings;
  settings.hostname = "mx.example.org";
  settings.version = "9.9";
  settings.x_greylist_header = "X-Greylist: %t s by %v at %h (%t); %d";
  PolicyEngine engine(settings);
  const std::string header = engine.greylist_header(301, kT0);
  EXPECT_EQ(header.rfind("X-Greylist: 301 s by 9.9 at mx.example.org (%t); ", 0), 0U) << header;
  EXPECT_NE(header.find("2023"), std::string::npos) << header;  // kT0 is in November 2023
}

}  // namespace
}  // namespace grayling

#include "grayling/core/pass_cache.hpp"

namespace grayling {
namespace {

TEST_F(EngineTimeline, PassesMayBeRepeatedUntilTheNextNeededWrite) {
  (void)at(kT0);
  const Decision first = at(kT0 + 301);
  ASSERT_TRUE(first.cache_until);
  EXPECT_EQ(*first.cache_until, kT0 + 301 + 3600);  // written now, next write due in an hour
  const Decision repeat = at(kT0 + 1000);            // no write: last_seen is still kT0+301
  ASSERT_TRUE(repeat.cache_until);
  EXPECT_EQ(*repeat.cache_until, kT0 + 301 + 3600);
}

TEST_F(EngineTimeline, GreylistDecisionsAreNeverCacheable) {
  EXPECT_FALSE(at(kT0).cache_until);
  EXPECT_FALSE(at(kT0 + 10).cache_until);
}

TEST(PassCache, HonoursTheDeadlineAndTheCapacity) {
  PassCache cache(2);
  cache.remember("a", 100);
  EXPECT_TRUE(cache.passes("a", 99));
  EXPECT_FALSE(cache.passes("a", 100));
  EXPECT_FALSE(cache.passes("b", 50));
  cache.remember("b", 200);
  cache.remember("a", 300);  // update in place: no eviction
  EXPECT_EQ(cache.size(), 2U);
  EXPECT_TRUE(cache.passes("a", 250));
  cache.remember("c", 400);  // full: starts over
  EXPECT_EQ(cache.size(), 1U);
  EXPECT_FALSE(cache.passes("a", 250));
  EXPECT_TRUE(cache.passes("c", 250));
  PassCache disabled(0);
  disabled.remember("a", 100);
  EXPECT_FALSE(disabled.passes("a", 1));
}

}  // namespace
}  // namespace grayling
