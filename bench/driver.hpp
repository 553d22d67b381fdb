#pragma once
/// The client side: one thread's persistent connections on one epoll instance, each with
/// at most one request in flight (as Postfix's smtpd uses a policy connection).
///
/// Per request: one send(), one recv() and a share of one epoll_wait(): the cheapest way to
/// drive many request/reply connections from a single thread, which matters because the
/// generator shares the machine's cores with the server it measures.

#include <sys/epoll.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "endpoint.hpp"
#include "stats.hpp"
#include "workload.hpp"

namespace bench {

/// When a phase records and when it ends (monotonic nanoseconds).
struct Window {
  std::int64_t measure_from = 0;  // replies before this are not recorded
  std::int64_t stop_at = std::numeric_limits<std::int64_t>::max();
  std::int64_t interval = 0;      // >0: also record per-interval histograms
  std::int64_t timeout = 10'000'000'000;
  std::atomic<bool>* stop = nullptr;               // set elsewhere (signal, request target)
  std::atomic<std::uint64_t>* measured = nullptr;  // with --requests: shared reply count
  std::uint64_t measured_target = 0;
  std::atomic<std::int64_t>* target_reached_at = nullptr;
};

/// Monotonic clock in nanoseconds.
std::int64_t now_ns();

class Driver {
 public:
  Driver(const Endpoint& endpoint, unsigned connections);
  ~Driver();
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  /// Opens every connection; returns how many are open (failures are counted in `stats`).
  unsigned open_all(Stats& stats);

  /// Sends requests from `source` until it runs dry and every reply is in, or the window
  /// ends, or window.stop is set. Replies inside the window are recorded in `stats`.
  void run(RequestSource& source, const Window& window, Stats& stats);

 private:
  struct Connection {
    int fd = -1;
    bool busy = false;          // a request is in flight
    bool want_write = false;    // EPOLLOUT registered: the request did not fit the socket
    std::string out;            // the request being sent
    std::size_t written = 0;
    std::int64_t sent_at = 0;
    std::int64_t retry_at = 0;  // when fd < 0: next connect attempt
    std::size_t in_length = 0;
    std::array<char, 4096> in;
  };

  bool reopen(Connection& connection, Stats& stats);
  void drop(Connection& connection);
  void start_request(Connection& connection, RequestSource& source, Stats& stats);
  void flush(Connection& connection, Stats& stats);
  void on_readable(Connection& connection, RequestSource& source, const Window& window, std::int64_t now,
                   Stats& stats);
  void record(std::string_view reply, std::int64_t latency, const Window& window, std::int64_t now, Stats& stats);
  void housekeeping(RequestSource& source, const Window& window, std::int64_t now, Stats& stats);

  const Endpoint& endpoint_;
  int epoll_fd_ = -1;
  std::vector<Connection> connections_;
  unsigned in_flight_ = 0;
  bool source_dry_ = false;
};

}  // namespace bench
