#pragma once
/// Whether DNS is worth asking right now. SPF equivalence may only make greylisting
/// better, never make mail wait: when the resolver stops answering in time (down, rate
/// limited, unreachable through the sandbox), requests stop asking it for a while and key
/// by network, as with SPF equivalence off; then one request probes it again. Pure: the
/// caller brings the clock.

#include <chrono>
#include <cstddef>
#include <deque>

namespace grayling::dns {

class DnsHealth {
 public:
  using Clock = std::chrono::steady_clock;

  struct Settings {
    std::size_t window = 32;        // the last this many questions are judged
    std::size_t most_late = 8;      // more late answers than this in the window: stop asking
    std::chrono::seconds pause{30};  // then ask nothing for this long, then probe once
  };

  DnsHealth() = default;
  explicit DnsHealth(Settings settings) : settings_(settings) {}

  /// Whether a request may ask DNS at `now`. While paused, no; once the pause is over, one
  /// request (the probe) may, and the others not until its answer came.
  [[nodiscard]] bool may_ask(Clock::time_point now);

  /// A question was answered in time (`timely`), or not (a timeout).
  void record(bool timely, Clock::time_point now);

  [[nodiscard]] bool paused() const { return paused_; }

 private:
  Settings settings_;
  std::deque<bool> recent_;  // true: late
  std::size_t late_ = 0;
  bool paused_ = false;
  bool probing_ = false;
  Clock::time_point resume_at_{};
};

}  // namespace grayling::dns
