// grayling-admin report's reading of one log line: stamps in every shape the daemons' lines
// reach a file in, both daemons' messages, and lines that are not ours.
#include "grayling/admin/log_line.hpp"

#include <gtest/gtest.h>

#include <string>

namespace grayling {
namespace {

constexpr EpochSeconds kDec2 = 1796169600;        // 2026-12-02 00:00:00 UTC
constexpr EpochSeconds kJan1 = 1798761600;        // 2027-01-01 00:00:00 UTC
constexpr EpochSeconds kDay = 86400;
constexpr EpochSeconds k112058 = 11 * 3600 + 20 * 60 + 58;

const LogClock kClock{.now = kDec2 + kDay, .utc_offset = 0};

TEST(LogTime, IsoStampsInEveryZoneSpelling) {
  EXPECT_EQ(parse_iso_stamp("2026-12-02T11:20:58.123456+00:00 host", kClock)->time, kDec2 + k112058);
  EXPECT_EQ(parse_iso_stamp("2026-12-02T12:20:58.123456+01:00 host", kClock)->time, kDec2 + k112058);
  EXPECT_EQ(parse_iso_stamp("2026-12-02T06:20:58-0500 host", kClock)->time, kDec2 + k112058);
  EXPECT_EQ(parse_iso_stamp("2026-12-02T11:20:58Z", kClock)->time, kDec2 + k112058);
  const auto spdlog = parse_iso_stamp("2026-12-02 11:20:58.123 info: x", kClock);
  ASSERT_TRUE(spdlog);
  EXPECT_EQ(spdlog->time, kDec2 + k112058);
  EXPECT_EQ(spdlog->length, 23u);
  // No zone: the reader's.
  EXPECT_EQ(parse_iso_stamp("2026-12-02 12:20:58", LogClock{.now = 0, .utc_offset = 3600})->time, kDec2 + k112058);
}

TEST(LogTime, ImpossibleIsoStampsAreNotStamps) {
  EXPECT_FALSE(parse_iso_stamp("2026-13-02T11:20:58Z", kClock));
  EXPECT_FALSE(parse_iso_stamp("2026-02-30 11:20:58", kClock));
  EXPECT_FALSE(parse_iso_stamp("2026-12-02T24:00:00Z", kClock));
  EXPECT_FALSE(parse_iso_stamp("2026-12-02T11:20", kClock));
  EXPECT_FALSE(parse_iso_stamp("2026-12-02T11:20:58+01: host", kClock));
  EXPECT_FALSE(parse_iso_stamp("2026-12-02T11:20:58host", kClock));
}

TEST(LogTime, SyslogStampsTakeTheLatestYearNotInTheFuture) {
  EXPECT_EQ(parse_syslog_stamp("Dec  2 11:20:58 host", kClock)->time, kDec2 + k112058);
  EXPECT_EQ(parse_syslog_stamp("Dec 02 11:20:58 host", kClock)->time, kDec2 + k112058);
  EXPECT_EQ(parse_syslog_stamp("Dec  2 11:20:58 host", kClock)->length, 15u);
  // Read on New Year's Day: December is last year's, January this year's.
  const LogClock new_year{.now = kJan1 + 12 * 3600, .utc_offset = 0};
  EXPECT_EQ(parse_syslog_stamp("Dec 31 23:58:00 h", new_year)->time, kJan1 - 120);
  EXPECT_EQ(parse_syslog_stamp("Jan  1 00:03:10 h", new_year)->time, kJan1 + 190);
  // Seconds (up to a day) ahead of the reader's clock is clock slop, not last year.
  const LogClock just_before{.now = kDec2 + k112058 - 58, .utc_offset = 0};
  EXPECT_EQ(parse_syslog_stamp("Dec  2 11:20:58 h", just_before)->time, kDec2 + k112058);
  EXPECT_EQ(parse_syslog_stamp("Dec  4 11:20:00 h", just_before)->time, 1764847200);  // 2025-12-04
  // Feb 29 belongs to the latest leap year.
  EXPECT_EQ(parse_syslog_stamp("Feb 29 10:00:00 h", LogClock{.now = 1803859200})->time, 1709200800);  // 2024
  // Local time east of UTC is earlier in UTC.
  EXPECT_EQ(parse_syslog_stamp("Dec  2 12:20:58 h", LogClock{.now = kDec2 + kDay, .utc_offset = 3600})->time,
            kDec2 + k112058);
}

TEST(LogTime, ImpossibleSyslogStampsAreNotStamps) {
  EXPECT_FALSE(parse_syslog_stamp("Dez  2 11:20:58 h", kClock));
  EXPECT_FALSE(parse_syslog_stamp("Dec 32 11:20:58 h", kClock));
  EXPECT_FALSE(parse_syslog_stamp("Dec  2 11:20 h", kClock));
  EXPECT_FALSE(parse_syslog_stamp("Dec", kClock));
  EXPECT_FALSE(parse_syslog_stamp("Nov 31 11:20:58 h", kClock));
}

TEST(LogLine, GraylingStderr) {
  const LogLine line = parse_log_line(
      "2026-12-02 11:20:58.123 info: action=greylist, reason=new, client_name=mx.example.com, "
      "client_address=192.0.2.1/32, sender=a@example.com, recipient=b@example.org",
      kClock);
  EXPECT_EQ(line.kind, LogLine::Kind::greylist);
  EXPECT_EQ(line.source, LogSource::grayling);
  EXPECT_EQ(line.time, kDec2 + k112058);
  EXPECT_EQ(line.queue_id, "");
  EXPECT_EQ(line.reason, "new");
  EXPECT_EQ(line.delay, std::nullopt);
  EXPECT_EQ(line.client_name, "mx.example.com");
  EXPECT_EQ(line.client_address, "192.0.2.1/32");
  EXPECT_EQ(line.sender, "a@example.com");
  EXPECT_EQ(line.recipient, "b@example.org");
}

TEST(LogLine, SyslogWithQueueIdAndDelay) {
  const LogLine line = parse_log_line(
      "Dec  2 11:20:58 mx grayling[123]: 4ZbQ1c2Xyz: action=pass, reason=triplet found, delay=301, "
      "client_name=mx.example.com, client_address=192.0.2.1/32, sender=a@example.com, recipient=b@example.org",
      kClock);
  EXPECT_EQ(line.kind, LogLine::Kind::pass);
  EXPECT_EQ(line.source, LogSource::grayling);
  EXPECT_EQ(line.time, kDec2 + k112058);
  EXPECT_EQ(line.queue_id, "4ZbQ1c2Xyz");
  EXPECT_EQ(line.reason, "triplet found");
  EXPECT_EQ(line.delay, 301);
  EXPECT_EQ(line.recipient, "b@example.org");
}

TEST(LogLine, PostgreyThroughRsyslogAndTheJournal) {
  const LogLine rsyslog = parse_log_line(
      "2026-12-02T12:20:58.123456+01:00 mx postgrey[812]: action=greylist, reason=early-retry (120s missing), "
      "client_name=mail.example.net, client_address=192.0.2.77, recipient=user@example.org",
      kClock);
  EXPECT_EQ(rsyslog.kind, LogLine::Kind::greylist);
  EXPECT_EQ(rsyslog.source, LogSource::postgrey);
  EXPECT_EQ(rsyslog.time, kDec2 + k112058);
  EXPECT_EQ(rsyslog.reason, "early-retry (120s missing)");
  EXPECT_EQ(rsyslog.client_address, "192.0.2.77");
  EXPECT_EQ(rsyslog.sender, "");  // the null sender: postgrey leaves the field out

  const LogLine short_iso = parse_log_line(
      "2026-12-02T11:20:58+0000 mx /usr/sbin/postgrey[812]: whitelisted: mail.example.net[192.0.2.77]", kClock);
  EXPECT_EQ(short_iso.kind, LogLine::Kind::whitelisted);
  EXPECT_EQ(short_iso.source, LogSource::postgrey);
  EXPECT_EQ(short_iso.whitelisted, "mail.example.net[192.0.2.77]");
}

TEST(LogLine, GraylingStderrCapturedByTheJournalKeepsItsOwnStamp) {
  const LogLine line = parse_log_line(
      "Dec 02 11:21:00 mx grayling[77]: 2026-12-02 11:20:58.999 info: action=pass, reason=client AWL, "
      "client_name=mx.example.com, client_address=2001:db8::25/128, recipient=b@example.org",
      kClock);
  EXPECT_EQ(line.kind, LogLine::Kind::pass);
  EXPECT_EQ(line.source, LogSource::grayling);
  EXPECT_EQ(line.time, kDec2 + k112058);
  EXPECT_EQ(line.reason, "client AWL");
  EXPECT_EQ(line.client_address, "2001:db8::25/128");
}

TEST(LogLine, BareMessagesHaveNoStampAndNoSource) {
  const LogLine bare = parse_log_line(
      "action=pass, reason=recipient whitelist, client_name=x.example, client_address=198.51.100.7, "
      "sender=a@x.example, recipient=postmaster@example.org",
      kClock);
  EXPECT_EQ(bare.kind, LogLine::Kind::pass);
  EXPECT_EQ(bare.source, LogSource::unknown);
  EXPECT_EQ(bare.time, std::nullopt);
  EXPECT_EQ(bare.reason, "recipient whitelist");

  const LogLine queued = parse_log_line("QID1: action=greylist, reason=new, client_address=198.51.100.7, recipient=r@x",
                                        kClock);
  EXPECT_EQ(queued.kind, LogLine::Kind::greylist);
  EXPECT_EQ(queued.queue_id, "QID1");

  const LogLine tagged = parse_log_line("grayling[9]: action=greylist, reason=new, client_address=198.51.100.7, "
                                        "recipient=r@x",
                                        kClock);
  EXPECT_EQ(tagged.kind, LogLine::Kind::greylist);
  EXPECT_EQ(tagged.source, LogSource::grayling);
}

TEST(LogLine, AnotherProgramsLinesAreOtherWhateverTheySay) {
  EXPECT_EQ(parse_log_line("Dec  2 11:20:58 mx policyd[5]: action=greylist, reason=new, client_address=192.0.2.1, "
                           "recipient=r@x",
                           kClock)
                .kind,
            LogLine::Kind::other);
  const LogLine postfix = parse_log_line(
      "Dec  2 11:20:58 mx postfix/smtpd[5]: NOQUEUE: reject: RCPT from x[192.0.2.1]: 450 4.2.0 <r@x>: "
      "Recipient address rejected: Greylisted",
      kClock);
  EXPECT_EQ(postfix.kind, LogLine::Kind::other);
  EXPECT_EQ(postfix.source, LogSource::unknown);
  EXPECT_EQ(parse_log_line("2026-12-02 11:20:58.123 warning: store unavailable", kClock).kind, LogLine::Kind::other);
  EXPECT_EQ(parse_log_line("Dec  2 11:20:58 mx postgrey[1]: cleaning up old logs...", kClock).kind,
            LogLine::Kind::other);
}

TEST(LogLine, ACommaInsideAValueStaysInIt) {
  const LogLine line = parse_log_line(
      "action=greylist, reason=new, client_address=192.0.2.1, sender=\"a, b\"@example.com, recipient=r@example.org",
      kClock);
  EXPECT_EQ(line.sender, "\"a, b\"@example.com");
  EXPECT_EQ(line.recipient, "r@example.org");
}

TEST(LogLine, MalformedLinesAreOtherOrIncompleteNeverACrash) {
  EXPECT_EQ(parse_log_line("", kClock).kind, LogLine::Kind::other);
  EXPECT_EQ(parse_log_line("Dec", kClock).kind, LogLine::Kind::other);
  EXPECT_EQ(parse_log_line("action=passive, reason=x", kClock).kind, LogLine::Kind::other);
  EXPECT_EQ(parse_log_line("action=defer, reason=x", kClock).kind, LogLine::Kind::other);
  EXPECT_EQ(parse_log_line("Dec  2 11:20:58", kClock).kind, LogLine::Kind::other);
  EXPECT_EQ(parse_log_line("2026-12-02 11:20:58.123 info:", kClock).kind, LogLine::Kind::other);
  EXPECT_EQ(parse_log_line("not a: queue id: action=pass", kClock).kind, LogLine::Kind::other);
  EXPECT_EQ(parse_log_line(std::string("\xff\xfe\0action=pass", 14), kClock).kind, LogLine::Kind::other);

  const LogLine bad_delay = parse_log_line("action=pass, reason=triplet found, delay=-5, client_address=192.0.2.1",
                                           kClock);
  EXPECT_EQ(bad_delay.kind, LogLine::Kind::pass);
  EXPECT_EQ(bad_delay.delay, std::nullopt);
  EXPECT_EQ(bad_delay.client_address, "192.0.2.1");

  const LogLine crlf = parse_log_line("action=greylist, reason=new, client_address=192.0.2.1, recipient=r@x\r", kClock);
  EXPECT_EQ(crlf.recipient, "r@x");
  EXPECT_EQ(parse_log_line("action=greylist", kClock).kind, LogLine::Kind::greylist);
  EXPECT_EQ(parse_log_line("action=greylist", kClock).reason, "");
}

}  // namespace
}  // namespace grayling
