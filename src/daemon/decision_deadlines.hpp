#pragma once
// The --store-timeout deadlines of every request waiting for the store thread, served by
// one timer. A timer per request cost the I/O thread more than parsing the request did;
// with one, a request's deadline costs a list node.

#include <chrono>
#include <functional>
#include <list>

#include "asio.hpp"

namespace grayling {

/// Deadlines on the I/O thread: add() one per waiting request, cancel() it when the
/// answer comes; a deadline that passes first runs its callback. I/O thread only.
class DecisionDeadlines {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  struct Waiter {
    TimePoint deadline;
    std::function<void()> on_timeout;
  };
  using Entry = std::list<Waiter>::iterator;

  explicit DecisionDeadlines(asio::io_context& io) : timer_(io) {}

  /// Runs `on_timeout` at `deadline` (or just after) unless cancel() comes first.
  Entry add(TimePoint deadline, std::function<void()> on_timeout);

  /// Forgets a deadline whose answer came in time. Each entry at most once, and never
  /// after its callback ran.
  void cancel(Entry entry);

  /// Stopping: every deadline later than `limit` comes forward to it, and the timer is
  /// not armed again once nothing waits, so the event loop can end.
  void stop(TimePoint limit);

 private:
  void arm(TimePoint at);
  void expire();

  asio::steady_timer timer_;
  std::list<Waiter> waiting_;
  bool armed_ = false;
  TimePoint armed_for_{};
  bool stopping_ = false;
};

}  // namespace grayling
