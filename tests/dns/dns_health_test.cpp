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

// A probe that ends without an answer (its asker needed no DNS, or was dropped) hands the
// probe on; ending a probe that already ended, or an older one, changes nothing.
TEST(DnsHealth, AProbeEndedUnansweredLetsTheNextRequestProbe) {
  DnsHealth health(DnsHealth::Settings{.window = 10, .most_late = 3, .pause = 30s});
  const auto t0 = Clock::time_point{} + 1000s;
  EXPECT_EQ(health.probe(), 0u) << "not paused: no probe";
  for (int i = 0; i < 4; ++i) health.record(false, t0);
  ASSERT_TRUE(health.paused());
  ASSERT_TRUE(health.may_ask(t0 + 30s));
  const std::uint64_t first = health.probe();
  EXPECT_NE(first, 0u);
  EXPECT_FALSE(health.may_ask(t0 + 30s));
  health.end_probe(first);
  EXPECT_TRUE(health.paused()) << "an unanswered probe proves nothing";
  ASSERT_TRUE(health.may_ask(t0 + 31s)) << "the next request probes";
  const std::uint64_t second = health.probe();
  EXPECT_NE(second, first);
  health.end_probe(first);  // late: the second probe stays out
  EXPECT_FALSE(health.may_ask(t0 + 31s));
  health.record(true, t0 + 31s);
  EXPECT_FALSE(health.paused());
  EXPECT_EQ(health.probe(), 0u);
  health.end_probe(second);  // already judged by its answer
  EXPECT_FALSE(health.paused());
}

TEST(DnsHealth, LateAnswersSpreadOverTheWindowDoNotPause) {
  DnsHealth health(DnsHealth::Settings{.window = 10, .most_late = 3, .pause = 30s});
  const auto t0 = Clock::time_point{} + 1000s;
  for (int i = 0; i < 100; ++i) health.record(i % 5 != 0, t0);  // one in five late: two in ten
  EXPECT_TRUE(health.may_ask(t0));
}

}  // namespace
}  // namespace grayling::dns
