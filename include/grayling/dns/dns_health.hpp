#pragma once
/// Whether DNS is worth asking right now. SPF equivalence may only make greylisting
/// better, never make mail wait: when the resolver stops answering in time (down, rate
/// limited, unreachable through the sandbox), requests stop asking it for a while and key
/// by network, as with SPF equivalence off; then one request probes it again. Pure: the
/// caller brings the clock.

#include <chrono>
#include <cstddef>
#include <cstdint>
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

  [[nodiscard]] const Settings& settings() const { return settings_; }

  /// Whether a request may ask DNS at `now`. While paused, no; once the pause is over, one
  /// request (the probe) may, and the others not until the probe ends: by the first answer
  /// recorded, or by end_probe().
  [[nodiscard]] bool may_ask(Clock::time_point now);

  /// The probe the last may_ask() let through, while it is out (0: none, or that request
  /// was no probe). Its asker hands it to end_probe() when it is done, however that went.
  [[nodiscard]] std::uint64_t probe() const { return probing_ ? probe_ : 0; }

  /// The asker of `probe` is done without an answer having judged it (its check needed no
  /// DNS after all, or was dropped): the next request probes instead. Nothing if that
  /// probe already ended.
  void end_probe(std::uint64_t probe);

  /// A question was answered in time (`timely`), or not (a timeout).
  void record(bool timely, Clock::time_point now);

  [[nodiscard]] bool paused() const { return paused_; }

 private:
  Settings settings_;
  std::deque<bool> recent_;  // true: late
  std::size_t late_ = 0;
  bool paused_ = false;
  bool probing_ = false;
  std::uint64_t probe_ = 0;  // numbers the probes, so that a late end_probe() ends no other
  Clock::time_point resume_at_{};
};

}  // namespace grayling::dns
