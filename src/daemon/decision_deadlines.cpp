#include "decision_deadlines.hpp"

#include <algorithm>

namespace grayling {

DecisionDeadlines::Entry DecisionDeadlines::add(TimePoint deadline, std::function<void()> on_timeout) {
  waiting_.push_back(Waiter{deadline, std::move(on_timeout)});
  // Usually the timer is already set for an earlier deadline (the timeout is the same for
  // every request); only a reload that shortened it brings a deadline forward.
  if (!armed_ || deadline < armed_for_) arm(deadline);
  return std::prev(waiting_.end());
}

void DecisionDeadlines::cancel(Entry entry) {
  waiting_.erase(entry);
  // The timer stays set when the list empties: re-arming per request is what this class
  // avoids. It fires once, finds nothing, and stays unset. Only a stop cancels it.
  if (stopping_ && waiting_.empty() && armed_) {
    armed_ = false;
    timer_.cancel();
  }
}

void DecisionDeadlines::stop(TimePoint limit) {
  stopping_ = true;
  if (waiting_.empty()) {
    if (armed_) {
      armed_ = false;
      timer_.cancel();
    }
    return;
  }
  for (auto& waiter : waiting_) waiter.deadline = std::min(waiter.deadline, limit);
  if (!armed_ || limit < armed_for_) arm(limit);
}

void DecisionDeadlines::arm(TimePoint at) {
  armed_ = true;
  armed_for_ = at;
  timer_.expires_at(at);
  timer_.async_wait([this](const error_code& ec) {
    if (ec) return;  // cancelled: re-armed for an earlier deadline, or stopping
    armed_ = false;
    expire();
  });
}

void DecisionDeadlines::expire() {
  const TimePoint now = std::chrono::steady_clock::now();
  std::vector<std::function<void()>> due;
  TimePoint next = TimePoint::max();
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (it->deadline <= now) {
      due.push_back(std::move(it->on_timeout));
      it = waiting_.erase(it);
    } else {
      next = std::min(next, it->deadline);
      ++it;
    }
  }
  if (next != TimePoint::max()) arm(next);
  for (auto& callback : due) callback();  // last: a callback may add or cancel entries
}

}  // namespace grayling
