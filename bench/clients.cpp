/// Client threads and the known-set setup (clients.hpp).

#include "clients.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace bench {

namespace {

std::string describe_round(const Stats& stats) {
  char text[200];
  std::snprintf(text, sizeof text, "DEFER_IF_PERMIT %llu, DUNNO %llu, PREPEND %llu, other %llu, errors %llu",
                static_cast<unsigned long long>(stats.actions[0]), static_cast<unsigned long long>(stats.actions[1]),
                static_cast<unsigned long long>(stats.actions[2]), static_cast<unsigned long long>(stats.actions[3]),
                static_cast<unsigned long long>(stats.errors()));
  return text;
}

}  // namespace

Clients::Clients(const Options& options, const Endpoint& endpoint) : opening_(options.threads) {
  for (unsigned t = 0; t < options.threads; ++t) {
    const unsigned share = options.connections / options.threads + (t < options.connections % options.threads);
    drivers_.push_back(std::make_unique<Driver>(endpoint, share));
  }
}

unsigned Clients::open_all() {
  unsigned open = 0;
  for (std::size_t t = 0; t < drivers_.size(); ++t) open += drivers_[t]->open_all(opening_[t]);
  return open;
}

Stats Clients::opening_stats() const {
  Stats total;
  for (const auto& part : opening_) total.merge(part);
  return total;
}

std::string set_up_known(const Options& options, Clients& clients, std::atomic<bool>& stop) {
  const std::int64_t started = now_ns();
  auto round = [&](unsigned number) {
    std::atomic<std::uint64_t> cursor{0};
    Window window;
    window.stop = &stop;
    return clients.run(window, [&](unsigned t) { return std::make_unique<SetupSource>(options, cursor, t, number); });
  };
  std::string summary = "greylist round: " + describe_round(round(0));
  // The daemon compares whole seconds: once the wall clock is `delay` seconds past the
  // second in which the first round ended, every triplet of it has waited long enough.
  const double ended = realtime_seconds();
  const double pass_at = static_cast<double>(static_cast<std::int64_t>(ended) + options.delay) + 0.02;
  sleep_until(now_ns() + static_cast<std::int64_t>((pass_at - realtime_seconds()) * 1e9), stop);
  for (unsigned number = 1; number <= 5 && !stop.load(); ++number) {
    const Stats stats = round(number);
    summary += "; pass round " + std::to_string(number) + ": " + describe_round(stats);
    if (stats.actions[0] == 0) break;  // nothing deferred any more
    sleep_until(now_ns() + 1'000'000'000, stop);
  }
  char elapsed[64];
  std::snprintf(elapsed, sizeof elapsed, " (%.1f s)", static_cast<double>(now_ns() - started) / 1e9);
  return summary + elapsed;
}

void sleep_until(std::int64_t deadline, const std::atomic<bool>& stop) {
  while (!stop.load()) {
    const std::int64_t left = deadline - now_ns();
    if (left <= 0) return;
    std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<std::int64_t>(left, 10'000'000)));
  }
}

double realtime_seconds() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

}  // namespace bench
