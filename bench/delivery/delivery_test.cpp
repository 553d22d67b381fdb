// The delivery benchmark's pure parts: retry schedules, the simulated verified-name rules,
// postgrey's sender rules, and the stub SPF authority's breadth rule.

#include <gtest/gtest.h>

#include <vector>

#include "addresses.hpp"
#include "client_authority.hpp"
#include "grayling/core/triplet_key.hpp"
#include "postgrey_sender.hpp"
#include "retry_schedule.hpp"
#include "verified_name.hpp"

namespace delivery {
namespace {

/// The attempt times a rule produces from a first attempt at 0, with no greylister ever
/// letting the message through.
std::vector<Seconds> schedule(RetryRule rule, int attempts, Seconds phase = 0) {
  RetryHistory history;
  history.phase = phase;
  std::vector<Seconds> times{0};
  for (int n = 1; n < attempts; ++n) {
    history.last_attempt = times.back();
    history.attempts = n;
    const auto retry = next_retry(rule, history, 0.5);
    if (!retry) break;
    history.previous_attempt = times.back();
    history.predicted = retry->due;
    times.push_back(retry->at);
  }
  return times;
}

TEST(RetrySchedule, PostfixDoublesFromMinimalToMaximalBackoffAtQueueScans) {
  // After 4800 s the backoff is capped at 4000 s: due at 8800, out at the 9000 s scan.
  EXPECT_EQ(schedule(RetryRule::postfix, 7), (std::vector<Seconds>{0, 300, 600, 1200, 2400, 4800, 9000}));
  // A queue scan clock 100 s out of step: each retry waits for the next scan.
  EXPECT_EQ(schedule(RetryRule::postfix, 3, 100), (std::vector<Seconds>{0, 400, 1000}));
}

TEST(RetrySchedule, QmailIsQuadraticWithRemoteChanskip20) {
  EXPECT_EQ(schedule(RetryRule::qmail, 5), (std::vector<Seconds>{0, 400, 1600, 3600, 6400}));
}

TEST(RetrySchedule, EximDebianRuleOnHalfHourlyQueueRuns) {
  const auto times = schedule(RetryRule::exim_debian, 10);
  // F,2h,15m: due 15 min after each try, tried at the next 30-minute run.
  EXPECT_EQ(std::vector<Seconds>(times.begin(), times.begin() + 6),
            (std::vector<Seconds>{0, 1800, 3600, 5400, 7200, 10800}));
  // G,16h,1h,1.5: then 1 h, 1.5 h, 2.25 h (rounded up to queue runs).
  EXPECT_EQ(times[6], 16200);
  EXPECT_EQ(times[7], 25200);
}

TEST(RetrySchedule, EximGivesUpAfterFourDays) {
  RetryHistory history;
  history.last_attempt = 4 * 86400;
  history.previous_attempt = history.last_attempt - 6 * 3600;
  history.predicted = history.last_attempt;
  EXPECT_FALSE(exim_debian_retry(history));
}

TEST(RetrySchedule, ExchangeFiveMinutesSixTimesThenFifteen) {
  EXPECT_EQ(schedule(RetryRule::exchange, 9), (std::vector<Seconds>{0, 300, 600, 900, 1200, 1500, 1800, 2700, 3600}));
}

TEST(RetrySchedule, SendmailAtEveryTenMinuteQueueRun) {
  EXPECT_EQ(schedule(RetryRule::sendmail, 4, 120), (std::vector<Seconds>{0, 120, 720, 1320}));
}

TEST(RetrySchedule, SpamThatNeverRetriesDoesNot) { EXPECT_EQ(schedule(RetryRule::never, 5).size(), 1u); }

TEST(VerifiedName, RegistrableDomainByBuiltInSuffixes) {
  EXPECT_EQ(registrable_domain("mail-am6eur05on2070.outbound.protection.outlook.com"), "outlook.com");
  EXPECT_EQ(registrable_domain("mx2.acme-3.co.uk."), "acme-3.co.uk");
  EXPECT_EQ(registrable_domain("Mail.Example.COM.AU"), "example.com.au");
  EXPECT_EQ(registrable_domain("co.uk"), std::nullopt);
  EXPECT_EQ(registrable_domain("localhost"), std::nullopt);
}

TEST(VerifiedName, DynamicNamesAreNoClient) {
  const auto line = address("83.1.2.3");
  EXPECT_TRUE(looks_dynamic("host-83-1-2-3.dyn.broadband-one.net", line));
  EXPECT_TRUE(looks_dynamic("3-2-1-83.cable.example.net", line));
  EXPECT_TRUE(looks_dynamic("adsl-x.example.net", line));
  // Two octets make no dynamic name: SES pool names carry two.
  EXPECT_FALSE(looks_dynamic("a8-30.smtp-out.amazonses.com", address("54.240.8.30")));
  // Only the host's own labels count.
  EXPECT_FALSE(looks_dynamic("mail.dynamic-solutions.com", line));
  EXPECT_EQ(verified_name_client("a8-30.smtp-out.amazonses.com", address("54.240.8.30")), "name:amazonses.com");
  EXPECT_EQ(verified_name_client("unknown", line), std::nullopt);
}

TEST(PostgreySender, MatchesTheEngineWhereThereIsNoHexId) {
  for (const char* sender :
       {"bounce-12345@example.org", "prvs=1234567890=bounce@x.example", "news+123@lists.example.net",
        "list-bounces-0042@lists.example.org", "", "postmaster", "user.name@example.org"}) {
    EXPECT_EQ(postgrey_normalize_sender(sender), grayling::normalize_sender(sender)) << sender;
  }
  // Where they differ on purpose: a hex id stays for postgrey.
  EXPECT_EQ(postgrey_normalize_sender("bounce-3f2a9c7e1b@x.example"), "bounce-3f2a9c7e1b@x.example");
  EXPECT_EQ(grayling::normalize_sender("bounce-3f2a9c7e1b@x.example"), "bounce-#@x.example");
}

TEST(StubSpfAuthority, PassesOnlyNarrowAuthorisations) {
  StubDns dns;
  dns.set_spf("pool.example", {SpfTerm::ip(network("40.107.0.0/16")), SpfTerm::ip(network("2a01:111:f403::/48"))});
  dns.set_spf("tenant.example", {SpfTerm::include("pool.example")});
  dns.set_spf("everyone.example", {SpfTerm::all()});
  dns.set_spf("wide.example", {SpfTerm::ip(network("10.0.0.0/8"))});
  dns.set_spf("exists.example", {SpfTerm::exists(false, {})});
  dns.set_spf("per-client.example", {SpfTerm::exists(true, {address("192.0.2.7")})});
  dns.set_spf("by-name.example", {SpfTerm::ptr("by-name.example")});
  dns.name_host(address("198.51.100.9"), "mail.by-name.example");
  dns.set_spf("two.example", {SpfTerm::ip(network("11.0.0.0/13")), SpfTerm::ip(network("11.8.0.0/13"))});
  dns.set_spf("many.example", {SpfTerm::ip(network("11.0.0.0/13")), SpfTerm::ip(network("11.8.0.0/13")),
                               SpfTerm::ip(network("11.16.0.0/13"))});
  dns.set_spf("outer.example", {SpfTerm::ip(network("12.0.0.0/13")), SpfTerm::include("two.example")});
  const StubSpfAuthority authority(dns);

  EXPECT_EQ(authority.authorised_domain(address("40.107.3.4"), "a@Tenant.Example", "h"), "tenant.example");
  EXPECT_EQ(authority.authorised_domain(address("2a01:111:f403:1::5"), "a@tenant.example", "h"), "tenant.example");
  EXPECT_EQ(authority.authorised_domain(address("192.0.2.1"), "a@tenant.example", "h"), std::nullopt);
  EXPECT_EQ(authority.authorised_domain(address("192.0.2.1"), "a@everyone.example", "h"), std::nullopt);
  EXPECT_EQ(authority.authorised_domain(address("10.1.2.3"), "a@wide.example", "h"), std::nullopt);
  EXPECT_EQ(authority.authorised_domain(address("192.0.2.1"), "a@exists.example", "h"), std::nullopt);
  // ptr and exists pass by a name, and how many clients that covers is unknown.
  EXPECT_EQ(authority.authorised_domain(address("192.0.2.7"), "a@per-client.example", "h"), std::nullopt);
  EXPECT_EQ(authority.authorised_domain(address("198.51.100.9"), "a@by-name.example", "h"), std::nullopt);
  // Networks narrow alone add up, with those of the record that includes them.
  EXPECT_EQ(authority.authorised_domain(address("11.0.0.1"), "a@many.example", "h"), std::nullopt);
  EXPECT_EQ(authority.authorised_domain(address("11.0.0.1"), "a@two.example", "h"), "two.example");
  EXPECT_EQ(authority.authorised_domain(address("11.0.0.1"), "a@outer.example", "h"), std::nullopt);
  // The null sender is checked by its HELO name.
  EXPECT_EQ(authority.authorised_domain(address("40.107.3.4"), "", "tenant.example"), "tenant.example");
}

}  // namespace
}  // namespace delivery
