// One timer serves every request waiting for the store: deadlines fire in time, cancelled
// ones never do, a shorter deadline added later (a reload shortened --store-timeout) is
// not held up by the longer one already armed, and stop() brings every deadline forward
// to its limit and lets the event loop end.
#include "decision_deadlines.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <vector>

namespace grayling {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

/// Which deadlines fired, in order, and when (from `start`).
struct Firings {
  explicit Firings(Clock::time_point from) : start(from) {}
  std::function<void()> of(int id) {
    return [this, id] {
      ids.push_back(id);
      when.push_back(Clock::now() - start);
    };
  }
  Clock::time_point start;
  std::vector<int> ids;
  std::vector<Clock::duration> when;
};

TEST(DecisionDeadlines, FireInTimeUnlessCancelled) {
  asio::io_context io;
  DecisionDeadlines deadlines(io);
  const auto start = Clock::now();
  Firings firings(start);
  auto record = [&](int id) { return firings.of(id); };
  const auto& fired = firings.ids;
  const auto& when = firings.when;
  deadlines.add(start + 300ms, record(1));
  const auto cancelled = deadlines.add(start + 100ms, record(2));
  deadlines.add(start + 50ms, record(3));  // earlier than the armed deadline: re-armed
  deadlines.cancel(cancelled);
  deadlines.stop(start + 10s);  // entries are waiting, earlier than the limit: they fire in time, then the loop ends
  io.run_for(3s);
  EXPECT_TRUE(io.stopped()) << "the loop did not end once nothing waited";
  ASSERT_EQ(fired, (std::vector<int>{3, 1}));
  EXPECT_GE(when[0], 50ms);
  EXPECT_LT(when[0], 250ms) << "the 50 ms deadline waited for the 300 ms one";
  EXPECT_GE(when[1], 300ms);
}

TEST(DecisionDeadlines, StopEndsTheLoopAtOnceWhenNothingWaits) {
  asio::io_context io;
  DecisionDeadlines deadlines(io);
  bool fired = false;
  const auto entry = deadlines.add(Clock::now() + 10s, [&] { fired = true; });
  deadlines.cancel(entry);  // the timer stays armed: re-arming per request is what it saves
  deadlines.stop(Clock::now() + 10s);
  const auto start = Clock::now();
  io.run_for(5s);
  EXPECT_LT(Clock::now() - start, 1s) << "a stopped daemon waited for an unused deadline";
  EXPECT_FALSE(fired);
}

// A stop must not wait out a long --store-timeout for a store that hangs: every request
// still waiting is answered by the stop's limit.
TEST(DecisionDeadlines, StopBringsLaterDeadlinesForwardToItsLimit) {
  asio::io_context io;
  DecisionDeadlines deadlines(io);
  const auto start = Clock::now();
  Firings firings(start);
  auto record = [&](int id) { return firings.of(id); };
  const auto& fired = firings.ids;
  const auto& when = firings.when;
  deadlines.add(start + 60s, record(1));
  deadlines.add(start + 50ms, record(2));  // earlier than the limit: kept
  deadlines.add(start + 30s, record(3));
  deadlines.stop(start + 200ms);
  io.run_for(5s);
  EXPECT_TRUE(io.stopped());
  ASSERT_EQ(fired, (std::vector<int>{2, 1, 3}));
  EXPECT_LT(when[0], 150ms);
  EXPECT_GE(when[1], 200ms);
  EXPECT_LT(when[2], 1s) << "a deadline after the stop's limit was waited out";
}

TEST(DecisionDeadlines, ACallbackMayAddTheNextDeadline) {
  asio::io_context io;
  DecisionDeadlines deadlines(io);
  int rounds = 0;
  std::function<void()> again = [&] {
    if (++rounds < 3) deadlines.add(Clock::now() + 10ms, again);
  };
  deadlines.add(Clock::now() + 10ms, again);
  io.run_for(2s);
  EXPECT_EQ(rounds, 3);
}

}  // namespace
}  // namespace grayling
