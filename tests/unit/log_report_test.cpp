// grayling-admin report: what greylisting did to the mail in a log, from concrete logs of
// both daemons, with every figure checked.
#include "grayling/admin/log_report_builder.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace grayling {
namespace {

constexpr EpochSeconds kDec2 = 1796169600;  // 2026-12-02 00:00:00 UTC
constexpr EpochSeconds kJan1 = 1798761600;  // 2027-01-01 00:00:00 UTC

constexpr EpochSeconds hms(int hours, int minutes, int seconds) { return hours * 3600 + minutes * 60 + seconds; }

LogReport build(const std::vector<std::string>& lines, ReportOptions options) {
  LogReportBuilder builder(std::move(options));
  for (const std::string& line : lines) builder.add_line(line);
  return builder.finish();
}

ReportOptions on_dec3() {
  ReportOptions options;
  options.clock.now = kDec2 + 86400;
  return options;
}

/// A day of grayling's stderr: five greylisted triplets, one of each fate and two passes.
const std::vector<std::string> kGraylingDay = {
    // A: retries early from one host, passes from its neighbour (same /24: the same triplet).
    "2026-12-02 10:00:00.000 info: action=greylist, reason=new, client_name=mx1.a.example, "
    "client_address=192.0.2.10/32, sender=s1@a.example, recipient=r1@ours.example",
    // B: never comes back.
    "2026-12-02 10:00:00.500 info: action=greylist, reason=new, client_name=spam.bad.example, "
    "client_address=203.0.113.5/32, sender=x@Bad.Example, recipient=r1@ours.example",
    "2026-12-02 10:02:00.000 info: action=greylist, reason=early-retry (180s missing), client_name=mx1.a.example, "
    "client_address=192.0.2.10/32, sender=s1@a.example, recipient=r1@ours.example",
    "2026-12-02 10:05:01.000 info: Q1: action=pass, reason=triplet found, delay=301, client_name=mx2.a.example, "
    "client_address=192.0.2.11/32, sender=s1@a.example, recipient=r1@ours.example",
    "2026-12-02 10:05:01.000 info: whitelisted: mx2.a.example[192.0.2.11]",
    // C: the null sender, no reverse DNS; retries once, too early, then gives up.
    "2026-12-02 10:10:00.000 info: action=greylist, reason=new, client_name=unknown, "
    "client_address=198.51.100.7/32, recipient=r2@ours.example",
    "2026-12-02 10:11:00.000 info: action=greylist, reason=early-retry (240s missing), client_name=unknown, "
    "client_address=198.51.100.7/32, recipient=r2@ours.example",
    // D: a slow sender.
    "2026-12-02 10:20:00.000 info: action=greylist, reason=new, client_name=mx2.a.example, "
    "client_address=192.0.2.200/32, sender=s2@a.example, recipient=r3@ours.example",
    "2026-12-02 10:30:00.000 info: action=pass, reason=client whitelist, client_name=mx.friend.example, "
    "client_address=192.0.2.99/32, sender=f@friend.example, recipient=r1@ours.example",
    "2026-12-02 10:31:00.000 info: action=pass, reason=client AWL, client_name=mx.trusted.example, "
    "client_address=192.0.2.98/32, sender=t@trusted.example, recipient=r1@ours.example",
    "2026-12-02 10:40:00.000 info: action=pass, reason=triplet found, delay=1200, client_name=mx2.a.example, "
    "client_address=192.0.2.200/32, sender=s2@a.example, recipient=r3@ours.example",
    "2026-12-02 12:00:00.000 warning: store unavailable: database is locked",
    "",
    "some garbage",
    // E: greylisted half an hour before the log ends: too early to call it spam.
    "2026-12-02 23:30:00.000 info: action=greylist, reason=new, client_name=late.c.example, "
    "client_address=203.0.113.77/32, sender=l@c.example, recipient=r1@ours.example",
    // A again, known good now: not a new pass.
    "2026-12-02 23:59:00.000 info: action=pass, reason=triplet found, client_name=mx1.a.example, "
    "client_address=192.0.2.10/32, sender=s1@a.example, recipient=r1@ours.example",
};

TEST(LogReport, EveryGreylistedTripletEndsInExactlyOneFate) {
  const LogReport report = build(kGraylingDay, on_dec3());
  EXPECT_EQ(report.lines, 16u);
  EXPECT_EQ(report.other_lines, 3u);
  EXPECT_EQ(report.clients_whitelisted, 1u);
  EXPECT_EQ(report.undated_lines, 0u);
  EXPECT_EQ(report.greylist_lines, 7u);
  EXPECT_EQ(report.early_retry_lines, 2u);
  EXPECT_EQ(report.pass_lines, 5u);
  EXPECT_EQ(report.triplets, 5u);
  EXPECT_EQ(report.passed, 2u);                // A, D
  EXPECT_EQ(report.retried_never_passed, 1u);  // C
  EXPECT_EQ(report.never_retried, 1u);         // B
  EXPECT_EQ(report.too_recent, 1u);            // E
  EXPECT_EQ(report.retries_greylisted_earlier, 0u);
  EXPECT_EQ(report.passes_greylisted_earlier, 0u);
  EXPECT_EQ(report.lines_without_triplet, 0u);
  EXPECT_EQ(report.passes_by_reason, (std::map<std::string, std::uint64_t>{
                                         {"client AWL", 1}, {"client whitelist", 1}, {"triplet found", 3}}));
  EXPECT_EQ(report.first, kDec2 + hms(10, 0, 0));
  EXPECT_EQ(report.last, kDec2 + hms(23, 59, 0));
  EXPECT_EQ(report.grayling.greylist_lines, 7u);
  EXPECT_EQ(report.grayling.pass_lines, 5u);
  EXPECT_EQ(report.postgrey.greylist_lines + report.postgrey.pass_lines, 0u);
  EXPECT_EQ(report.untagged.greylist_lines + report.untagged.pass_lines, 0u);
}

TEST(LogReport, DelaysComeFromThePassLines) {
  const LogReport report = build(kGraylingDay, on_dec3());
  EXPECT_EQ(report.pass_delays.count(), 2u);
  EXPECT_EQ(report.pass_delays.min(), 301);
  EXPECT_EQ(report.pass_delays.percentile(50), 301);
  EXPECT_EQ(report.pass_delays.percentile(90), 1200);
  EXPECT_EQ(report.pass_delays.max(), 1200);
  EXPECT_EQ(report.pass_delay_unknown, 0u);
}

TEST(LogReport, ShorterDelaysCountTripletsThatTriedAgainLateEnough) {
  const LogReport report = build(kGraylingDay, on_dec3());
  EXPECT_EQ(report.timed_triplets, 5u);
  ASSERT_EQ(report.shorter_delays.size(), 4u);
  // 60 s: A (its early retry at 120 s), C (its retry at 60 s), D (its pass at 1200 s).
  const ShorterDelay& minute = report.shorter_delays[0];
  EXPECT_EQ(minute.delay, 60);
  EXPECT_EQ(minute.would_pass, 3u);
  EXPECT_EQ(minute.never_passed, 1u);
  EXPECT_EQ(minute.sooner.count(), 2u);
  EXPECT_EQ(minute.sooner.max(), 181);  // A: passed at 301 s, would have at 120 s
  EXPECT_EQ(minute.sooner.min(), 0);    // D: its only retry was its pass
  // 180 s: C's and A's early retries were too early; A's pass and D's pass remain.
  const ShorterDelay& three = report.shorter_delays[2];
  EXPECT_EQ(three.delay, 180);
  EXPECT_EQ(three.would_pass, 2u);
  EXPECT_EQ(three.never_passed, 0u);
  EXPECT_EQ(three.sooner.max(), 0);
}

TEST(LogReport, TopListsRankByGreylistedTriplets) {
  ReportOptions options = on_dec3();
  options.top = 3;
  const LogReport report = build(kGraylingDay, options);
  ASSERT_EQ(report.top_sender_domains.size(), 3u);
  EXPECT_EQ(report.top_sender_domains[0].name, "a.example");
  EXPECT_EQ(report.top_sender_domains[0].triplets, 2u);
  EXPECT_EQ(report.top_sender_domains[0].passed, 2u);
  EXPECT_EQ(report.top_sender_domains[0].never_retried, 0u);
  EXPECT_EQ(report.top_sender_domains[1].name, "<>");
  EXPECT_EQ(report.top_sender_domains[2].name, "bad.example");  // lower-cased
  EXPECT_EQ(report.top_sender_domains[2].never_retried, 1u);
  ASSERT_EQ(report.top_clients.size(), 3u);
  // Ties by name; "unknown" is shown as its address.
  EXPECT_EQ(report.top_clients[0].name, "198.51.100.7");
  EXPECT_EQ(report.top_clients[1].name, "late.c.example");
  EXPECT_EQ(report.top_clients[2].name, "mx1.a.example");
  EXPECT_EQ(report.top_clients[2].triplets, 1u);
}

TEST(LogReport, TooRecentIsJudgedAgainstTheEndOfTheLog) {
  ReportOptions options = on_dec3();
  options.too_recent = 29 * 60;  // E was greylisted 29 minutes before the last line
  const LogReport report = build(kGraylingDay, options);
  EXPECT_EQ(report.too_recent, 0u);
  EXPECT_EQ(report.never_retried, 2u);
  options.too_recent = 29 * 60 + 1;
  EXPECT_EQ(build(kGraylingDay, options).too_recent, 1u);
}

TEST(LogReport, LookupByHostMakesTheNeighboursPassAnotherTriplet) {
  ReportOptions options = on_dec3();
  options.keys.lookup_by_host = true;
  const LogReport report = build(kGraylingDay, options);
  EXPECT_EQ(report.passes_greylisted_earlier, 1u);  // 192.0.2.11's first pass is not A's
  // A passes only with the known-good line at 23:59, measured by the stamps.
  EXPECT_EQ(report.passed, 2u);
  EXPECT_EQ(report.pass_delays.max(), hms(13, 59, 0));
  EXPECT_EQ(report.shorter_delays[0].sooner.max(), hms(13, 59, 0) - 120);
}

/// postgrey's syslog over New Year, then grayling's lines through rsyslog after the switch.
const std::vector<std::string> kMigration = {
    "Dec 31 23:58:00 mx postgrey[812]: 4AbC1: action=greylist, reason=new, client_name=mail.example.net, "
    "client_address=192.0.2.77, sender=news+123@lists.example.net, recipient=User@example.org",
    // Another VERP number, another host of the network: the same triplet to postgrey.
    "Dec 31 23:59:30 mx postgrey[812]: action=greylist, reason=early-retry (210s missing), "
    "client_name=mail.example.net, client_address=192.0.2.77, sender=news+456@lists.example.net, "
    "recipient=user@example.org",
    "Jan  1 00:03:10 mx postgrey[812]: 9XyZ2: action=pass, reason=triplet found, delay=310, "
    "client_name=mail.example.net, client_address=192.0.2.78, sender=news+789@lists.example.net, "
    "recipient=user@example.org",
    "Jan  1 00:03:10 mx postfix/smtpd[900]: 9XyZ2: client=mail.example.net[192.0.2.78]",
    "2027-01-01T00:10:00.000001+00:00 mx grayling[900]: action=greylist, reason=new, client_name=mx.other.example, "
    "client_address=2001:db8:1:2::25/128, sender=a@other.example, recipient=b@example.org",
    "2027-01-01T00:14:00+00:00 mx grayling[900]: action=greylist, reason=early-retry (60s missing), "
    "client_name=mx.other.example, client_address=2001:db8:1:2::26/128, sender=a@other.example, "
    "recipient=b@example.org",
    "2027-01-01T00:20:00+00:00 mx grayling[900]: action=greylist, reason=new, client_name=bot.example, "
    "client_address=203.0.113.9/32, sender=x@spam.example, recipient=b@example.org",
    "2027-01-01T11:00:00+00:00 mx grayling[900]: action=pass, reason=client AWL, client_name=mail.example.net, "
    "client_address=192.0.2.77/32, sender=news+1@lists.example.net, recipient=user@example.org",
};

ReportOptions on_new_years_day() {
  ReportOptions options;
  options.clock.now = kJan1 + hms(12, 0, 0);
  return options;
}

TEST(LogReport, PostgreyAndGraylingSideBySideAcrossTheYear) {
  const LogReport report = build(kMigration, on_new_years_day());
  EXPECT_EQ(report.lines, 8u);
  EXPECT_EQ(report.other_lines, 1u);
  EXPECT_EQ(report.postgrey.greylist_lines, 2u);
  EXPECT_EQ(report.postgrey.pass_lines, 1u);
  EXPECT_EQ(report.postgrey.first, kJan1 - 120);
  EXPECT_EQ(report.postgrey.last, kJan1 + 190);
  EXPECT_EQ(report.grayling.greylist_lines, 3u);
  EXPECT_EQ(report.grayling.pass_lines, 1u);
  EXPECT_EQ(report.grayling.first, kJan1 + 600);
  EXPECT_EQ(report.grayling.last, kJan1 + hms(11, 0, 0));
  EXPECT_EQ(report.first, kJan1 - 120);

  EXPECT_EQ(report.triplets, 3u);
  EXPECT_EQ(report.passed, 1u);
  EXPECT_EQ(report.retried_never_passed, 1u);  // the IPv6 sender: same /64, gave up
  EXPECT_EQ(report.never_retried, 1u);         // bot.example
  EXPECT_EQ(report.pass_delays.min(), 310);
  EXPECT_EQ(report.pass_delays.max(), 310);
  // The early retry 90 s in would have passed a 60 s delay, 220 s sooner: only if the
  // December line is last year's.
  EXPECT_EQ(report.shorter_delays[0].would_pass, 2u);
  EXPECT_EQ(report.shorter_delays[0].sooner.count(), 1u);
  EXPECT_EQ(report.shorter_delays[0].sooner.min(), 220);
  EXPECT_EQ(report.shorter_delays[3].would_pass, 2u);  // 240 s: the pass at 310 s and the retry at 240 s
  EXPECT_EQ(report.shorter_delays[3].never_passed, 1u);
}

TEST(LogReport, SinceSkipsEarlierStampedLines) {
  ReportOptions options = on_new_years_day();
  options.since = kJan1;
  const LogReport report = build(kMigration, options);
  EXPECT_EQ(report.lines, 8u);
  EXPECT_EQ(report.before_since, 2u);
  EXPECT_EQ(report.postgrey.greylist_lines, 0u);
  EXPECT_EQ(report.postgrey.pass_lines, 1u);
  EXPECT_EQ(report.passes_greylisted_earlier, 1u);  // its greylisting was before --since
  EXPECT_EQ(report.triplets, 2u);
  EXPECT_EQ(report.passed, 0u);
  EXPECT_EQ(report.first, kJan1 + 190);

  options.since = kJan1 + 190;  // "at or after"
  EXPECT_EQ(build(kMigration, options).before_since, 2u);
  options.since = kJan1 + 191;  // and postfix's line of that second with it
  EXPECT_EQ(build(kMigration, options).before_since, 4u);
}

TEST(LogReport, UndatedLinesAreAlwaysIncludedAndMeasuredByDelayAlone) {
  ReportOptions options = on_dec3();
  options.since = kDec2 + 86400;  // would skip every stamped line
  const LogReport report = build(
      {"action=greylist, reason=new, client_name=x.example, client_address=198.51.100.7, sender=a@x.example, "
       "recipient=r@example.org",
       "action=greylist, reason=early-retry (200s missing), client_name=x.example, client_address=198.51.100.7, "
       "sender=a@x.example, recipient=r@example.org",
       "action=pass, reason=triplet found, delay=400, client_name=x.example, client_address=198.51.100.7, "
       "sender=a@x.example, recipient=r@example.org",
       "action=greylist, reason=new, client_name=y.example, client_address=198.51.100.200, sender=b@y.example, "
       "recipient=r@example.org"},
      options);
  EXPECT_EQ(report.undated_lines, 4u);
  EXPECT_EQ(report.before_since, 0u);
  EXPECT_EQ(report.untagged.greylist_lines, 3u);
  EXPECT_EQ(report.triplets, 2u);
  EXPECT_EQ(report.passed, 1u);
  EXPECT_EQ(report.never_retried, 1u);  // undated: too recent cannot be judged
  EXPECT_EQ(report.pass_delays.max(), 400);
  EXPECT_EQ(report.timed_triplets, 0u);
  EXPECT_EQ(report.shorter_delays[0].would_pass, 0u);
  EXPECT_EQ(report.first, std::nullopt);
}

TEST(LogReport, AGreylistAfterAPassIsANewTripletAndALateNewIsARetry) {
  const std::string expired =
      "action=greylist, reason=new, client_name=x.example, client_address=198.51.100.7, sender=a@x.example, "
      "recipient=r@example.org";
  const std::string passed =
      "action=pass, reason=triplet found, delay=300, client_name=x.example, client_address=198.51.100.7, "
      "sender=a@x.example, recipient=r@example.org";
  const LogReport report = build({expired, passed, expired, expired}, on_dec3());
  EXPECT_EQ(report.triplets, 2u);
  EXPECT_EQ(report.passed, 1u);
  EXPECT_EQ(report.retried_never_passed, 1u);  // the second "new": back after the retry window
  EXPECT_EQ(report.never_retried, 0u);
  ASSERT_EQ(report.top_sender_domains.size(), 1u);
  EXPECT_EQ(report.top_sender_domains[0].triplets, 2u);
  EXPECT_EQ(report.top_sender_domains[0].passed, 1u);
}

TEST(LogReport, PassesWithoutDelayAreMeasuredByTheirStamps) {
  // postgrey writes delay= only for the first recipient of a message; the others pass plain.
  const LogReport report = build(
      {"Dec  2 10:00:00 mx postgrey[1]: action=greylist, reason=new, client_address=192.0.2.1, sender=a@x.example, "
       "recipient=r2@example.org",
       "Dec  2 10:07:30 mx postgrey[1]: action=pass, reason=triplet found, client_address=192.0.2.1, "
       "sender=a@x.example, recipient=r2@example.org"},
      on_dec3());
  EXPECT_EQ(report.passed, 1u);
  EXPECT_EQ(report.pass_delays.min(), 450);
  EXPECT_EQ(report.pass_delay_unknown, 0u);
}

TEST(LogReport, OddLinesAreCountedNotFollowed) {
  const LogReport report = build(
      {"2026-12-02 10:00:00.000 info: action=greylist, reason=store unavailable, client_address=192.0.2.1/32, "
       "recipient=r@example.org",
       "2026-12-02 10:00:00.000 info: action=greylist, reason=new, client_name=x.example",
       "2026-12-02 10:00:00.000 info: action=pass, reason=triplet found, delay=300, client_address=192.0.2.1/32, "
       "recipient=r@example.org",
       "2026-12-02 10:00:00.000 info: action=greylist, reason=early-retry (1s missing), "
       "client_address=192.0.2.1/32, recipient=r@example.org"},
      on_dec3());
  EXPECT_EQ(report.greylist_lines, 3u);
  EXPECT_EQ(report.greylist_other_lines, 1u);
  EXPECT_EQ(report.lines_without_triplet, 1u);
  EXPECT_EQ(report.passes_greylisted_earlier, 1u);
  EXPECT_EQ(report.retries_greylisted_earlier, 1u);
  EXPECT_EQ(report.triplets, 0u);
}

TEST(LogReport, EveryPrefixOfEveryLineIsReadWithoutCrashAndCountedOnce) {
  LogReportBuilder builder(on_dec3());
  std::uint64_t fed = 0;
  for (const std::string& line : kMigration) {
    for (std::size_t length = 0; length <= line.size(); ++length) {
      builder.add_line(std::string_view(line).substr(0, length));
      ++fed;
    }
  }
  const LogReport report = builder.finish();
  EXPECT_EQ(report.lines, fed);
  EXPECT_EQ(report.other_lines + report.clients_whitelisted + report.greylist_lines + report.pass_lines +
                report.before_since,
            fed);
  EXPECT_GT(report.greylist_lines, 0u);
}

TEST(SecondsDistribution, NearestRankPercentilesAndBuckets) {
  SecondsDistribution delays;
  EXPECT_EQ(delays.percentile(50), std::nullopt);
  EXPECT_EQ(delays.min(), std::nullopt);
  delays.add(4);
  delays.add(1);
  delays.add(3, 1);
  delays.add(2);
  delays.add(9, 0);  // adding nothing adds nothing
  EXPECT_EQ(delays.count(), 4u);
  EXPECT_EQ(delays.percentile(50), 2);  // a value that occurred, not 2.5
  EXPECT_EQ(delays.percentile(51), 3);
  EXPECT_EQ(delays.percentile(90), 4);
  EXPECT_EQ(delays.percentile(0), 1);
  EXPECT_EQ(delays.max(), 4);
  EXPECT_EQ(delays.count_between(2, 4), 2u);  // [2, 4)
  SecondsDistribution more;
  more.add(2, 6);
  delays.merge(more);
  EXPECT_EQ(delays.count(), 10u);
  EXPECT_EQ(delays.percentile(50), 2);
  EXPECT_EQ(delays.percentile(90), 3);
}

TEST(LogReport, AnEmptyLogSaysSoWithoutDividingByZero) {
  const LogReport report = LogReportBuilder(on_dec3()).finish();
  const std::string text = report_text(report);
  EXPECT_NE(text.find("period          no stamped lines\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  never retried            0      -  likely spam\n"), std::string::npos) << text;
  EXPECT_NE(text.find("min -, median -, p90 -, max -"), std::string::npos) << text;
  const std::string json = report_json(report);
  EXPECT_NE(json.find(R"("period":{"first":null,"last":null})"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("top_clients":[])"), std::string::npos) << json;
}

TEST(LogReport, TextExplainsEachFigure) {
  EXPECT_EQ(report_text(build(kGraylingDay, on_dec3())),
            "lines           16 read: 12 decisions, 1 auto-whitelist lines, 3 other, 0 before --since\n"
            "period          2026-12-02 10:00:00 UTC to 2026-12-02 23:59:00 UTC\n"
            "  grayling      7 greylist, 5 pass lines; 2026-12-02 10:00:00 UTC to 2026-12-02 23:59:00 UTC\n"
            "\n"
            "greylisted      5 triplets (7 greylist lines, 2 of them early retries)\n"
            "  passed                   2  40.0%  came back after the delay\n"
            "  retried, no pass         1  20.0%  came back too early, then gave up\n"
            "  never retried            1  20.0%  likely spam\n"
            "  too recent               1  20.0%  no retry yet, greylisted in the log's last 1h00m\n"
            "\n"
            "delay to pass   2 passed triplets: min 5m01s, median 5m01s, p90 20m00s, max 20m00s\n"
            "  < 5m             0   0.0%\n"
            "  5-10m            1  50.0%\n"
            "  10-30m           1  50.0%\n"
            "  30m-1h           0   0.0%\n"
            "  1-4h             0   0.0%\n"
            "  > 4h             0   0.0%\n"
            "\n"
            "passes          5 lines\n"
            "  triplet found              3  60.0%\n"
            "  client AWL                 1  20.0%\n"
            "  client whitelist           1  20.0%\n"
            "  newly auto-whitelisted clients: 1 (whitelisted: lines)\n"
            "\n"
            "shorter delay   of 5 greylisted triplets with a time stamp, those that tried again at least\n"
            "                this long after their first greylisting, and so would have passed with it\n"
            "  1m00s            3  60.0%  1 never passed; the 2 that did: median 0s, at most 3m01s sooner\n"
            "  2m00s            2  40.0%  0 never passed; the 2 that did: median 0s, at most 3m01s sooner\n"
            "  3m00s            2  40.0%  0 never passed; the 2 that did: median 0s, at most 0s sooner\n"
            "  4m00s            2  40.0%  0 never passed; the 2 that did: median 0s, at most 0s sooner\n"
            "\n"
            "top sender domains                       greylisted  passed  never retried\n"
            "  a.example                                       2       2              0\n"
            "  <>                                              1       0              0\n"
            "  bad.example                                     1       0              1\n"
            "  c.example                                       1       0              0\n"
            "\n"
            "top clients                              greylisted  passed  never retried\n"
            "  198.51.100.7                                    1       0              0\n"
            "  late.c.example                                  1       0              0\n"
            "  mx1.a.example                                   1       1              0\n"
            "  mx2.a.example                                   1       1              0\n"
            "  spam.bad.example                                1       0              1\n");
}

TEST(LogReport, JsonHasEveryFigure) {
  EXPECT_EQ(report_json(build(kGraylingDay, on_dec3())),
            R"({"lines":{"read":16,"before_since":0,"other":3,"undated":0},"period":{"first":1796205600,)"
            R"("last":1796255940},"sources":{"grayling":{"greylist_lines":7,"pass_lines":5,"first":1796205600,)"
            R"("last":1796255940},"postgrey":{"greylist_lines":0,"pass_lines":0,"first":null,"last":null},)"
            R"("untagged":{"greylist_lines":0,"pass_lines":0,"first":null,"last":null}},"greylisted":{"lines":7,)"
            R"("early_retry_lines":2,"other_reason_lines":0,"lines_without_triplet":0,"triplets":5,)"
            R"("passed":2,"retried_never_passed":1,"never_retried":1,"too_recent":1,"too_recent_seconds":3600,)"
            R"("retries_greylisted_earlier":0,"passes_greylisted_earlier":0},"delay":{"count":2,)"
            R"("unknown":0,"min":301,"median":301,"p90":1200,"max":1200,"histogram":[{"from":0,"to":300,)"
            R"("count":0},{"from":300,"to":600,"count":1},{"from":600,"to":1800,"count":1},{"from":1800,)"
            R"("to":3600,"count":0},{"from":3600,"to":14400,"count":0},{"from":14400,"to":null,"count":0}]},)"
            R"("passes":{"lines":5,"by_reason":{"client AWL":1,"client whitelist":1,"triplet found":3},)"
            R"("clients_whitelisted":1},"shorter_delays":{"timed_triplets":5,"candidates":[{"delay":60,)"
            R"("would_pass":3,"never_passed":1,"sooner_median":0,"sooner_max":181},{"delay":120,)"
            R"("would_pass":2,"never_passed":0,"sooner_median":0,"sooner_max":181},{"delay":180,)"
            R"("would_pass":2,"never_passed":0,"sooner_median":0,"sooner_max":0},{"delay":240,"would_pass":2,)"
            R"("never_passed":0,"sooner_median":0,"sooner_max":0}]},"top_sender_domains":[{"name":"a.example",)"
            R"("triplets":2,"passed":2,"never_retried":0},{"name":"<>","triplets":1,"passed":0,"never_retried":0},)"
            R"({"name":"bad.example","triplets":1,"passed":0,"never_retried":1},{"name":"c.example",)"
            R"("triplets":1,"passed":0,"never_retried":0}],"top_clients":[{"name":"198.51.100.7",)"
            R"("triplets":1,"passed":0,"never_retried":0},{"name":"late.c.example","triplets":1,)"
            R"("passed":0,"never_retried":0},{"name":"mx1.a.example","triplets":1,"passed":1,"never_retried":0},)"
            R"({"name":"mx2.a.example","triplets":1,"passed":1,"never_retried":0},{"name":"spam.bad.example",)"
            R"("triplets":1,"passed":0,"never_retried":1}]})");
}

}  // namespace
}  // namespace grayling
