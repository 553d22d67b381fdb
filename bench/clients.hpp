#pragma once
/// The client threads of one grayling-bench run, and the phases they go through together:
/// the known-set setup rounds, then the measured window.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_options.hpp"
#include "driver.hpp"

namespace bench {

/// One Driver (epoll loop with its share of the connections) per client thread.
class Clients {
 public:
  Clients(const Options& options, const Endpoint& endpoint);

  /// Opens every connection; returns how many opened.
  unsigned open_all();

  /// Runs one phase on every thread, each with the source `make_source(thread)` gives and
  /// (window.rate > 0) its share of the open-loop schedule; returns the merged counts.
  template <typename MakeSource>
  Stats run(const Window& window, MakeSource make_source) {
    std::vector<Stats> stats(drivers_.size());
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < drivers_.size(); ++t) {
      threads.emplace_back([&, t] {
        auto source = make_source(t);
        const Pace pace = pace_of_thread(window, t, static_cast<unsigned>(drivers_.size()));
        drivers_[t]->run(*source, window, stats[t], pace);
      });
    }
    for (auto& thread : threads) thread.join();
    Stats total;
    for (const auto& part : stats) total.merge(part);
    return total;
  }

  /// Connect failures while opening (the measured phase adds them to its errors).
  [[nodiscard]] Stats opening_stats() const;

 private:
  std::vector<std::unique_ptr<Driver>> drivers_;
  std::vector<Stats> opening_;
};

/// Greylists every known triplet, waits out the daemon's delay, and sends them again until
/// none is deferred (at most 5 rounds). Returns a one-line account of the rounds.
std::string set_up_known(const Options& options, Clients& clients, std::atomic<bool>& stop);

/// Sleeps until the monotonic `deadline` (ns) or until `stop` is set.
void sleep_until(std::int64_t deadline, const std::atomic<bool>& stop);

/// Wall-clock seconds since the epoch.
double realtime_seconds();

}  // namespace bench
