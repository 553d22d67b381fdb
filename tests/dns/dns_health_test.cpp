// When DNS stops answering in time, requests stop asking it (and key by network) until a
// single probe, after the pause, finds it answering again.
#include "grayling/dns/dns_health.hpp"

#include <gtest/gtest.h>

namespace grayling::dns {
namespace {

using namespace std::chrono_literals;
using Clock = DnsHealth::Clock;

TEST(DnsHealth, ManyLateAnswersPauseAskingThenOneProbeDecides) {
  DnsHealth health(DnsHealth::Settings{.window = 10, .most_late = 3, .pause = 30s});
  const auto t0 = Clock::time_point{} + 1000s;
  for (int i = 0; i < 20; ++i) health.record(true, t0);  // healthy: always asked
  EXPECT_TRUE(health.may_ask(t0));
  for (int i = 0; i < 3; ++i) health.record(false, t0);
  EXPECT_TRUE(health.may_ask(t0)) << "three late of ten is within bounds";
  health.record(false, t0);
  EXPECT_FALSE(health.may_ask(t0)) << "the fourth pauses";
  EXPECT_FALSE(health.may_ask(t0 + 29s));
  health.record(true, t0 + 10s);  // a straggler from before the pause changes nothing
  EXPECT_FALSE(health.may_ask(t0 + 29s));

  EXPECT_TRUE(health.may_ask(t0 + 30s)) << "the probe";
  EXPECT_FALSE(health.may_ask(t0 + 30s)) << "only one probe at a time";
  health.record(false, t0 + 31s);  // the probe was late too: another pause
  EXPECT_FALSE(health.may_ask(t0 + 60s));
  EXPECT_TRUE(health.may_ask(t0 + 61s));
  health.record(true, t0 + 61s);  // answered: asking again, judged afresh
  EXPECT_TRUE(health.may_ask(t0 + 61s));
  EXPECT_FALSE(health.paused());
  for (int i = 0; i < 3; ++i) health.record(false, t0 + 62s);
  EXPECT_TRUE(health.may_ask(t0 + 62s));
}

TEST(DnsHealth, LateAnswersSpreadOverTheWindowDoNotPause) {
  DnsHealth health(DnsHealth::Settings{.window = 10, .most_late = 3, .pause = 30s});
  const auto t0 = Clock::time_point{} + 1000s;
  for (int i = 0; i < 100; ++i) health.record(i % 5 != 0, t0);  // one in five late: two in ten
  EXPECT_TRUE(health.may_ask(t0));
}

}  // namespace
}  // namespace grayling::dns
