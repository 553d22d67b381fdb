#pragma once
/// The client side: one thread's persistent connections on one epoll instance, each with
/// at most one request in flight (as Postfix's smtpd uses a policy connection).
///
/// Per request: one send(), one recv() and a share of one epoll_wait(): the cheapest way to
/// drive many request/reply connections from a single thread, which matters because the
/// generator shares the machine's cores with the server it measures.
///
/// Closed loop (the default): a connection sends its next request as soon as a reply is in.
/// Open loop (--rate): requests fall due at fixed intervals, dealt to the connections in
/// turn; a periodic timerfd in the same epoll set wakes the loop at each due time. A request
/// due on a connection whose previous reply is still outstanding waits in that connection's
/// queue, and its latency counts from when it was due, not from when it could be sent, so a
/// slow reply is charged to every request it held up (no coordinated omission).

#include <sys/epoll.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
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
  double rate = 0;                // >0: open loop, requests/s over all client threads
  std::int64_t paced_from = 0;    // open loop: when the first request is due
};

/// One Driver's part of an open-loop schedule: its k-th request is due at first + k * period
/// (monotonic ns). period 0: closed loop.
struct Pace {
  std::int64_t first = 0;
  std::int64_t period = 0;
};

/// Thread `thread` of `threads`' part of window.rate: the threads' requests interleave, so
/// together they are due every 1/rate s.
Pace pace_of_thread(const Window& window, unsigned thread, unsigned threads);

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
  /// ends, or window.stop is set; as fast as replies come (closed loop) or, with a `pace`,
  /// when they are due. Replies inside the window are recorded in `stats`.
  void run(RequestSource& source, const Window& window, Stats& stats, const Pace& pace = {});

 private:
  struct Connection {
    int fd = -1;
    bool busy = false;          // a request is in flight
    bool want_write = false;    // EPOLLOUT registered: the request did not fit the socket
    std::string out;            // the request being sent
    std::size_t written = 0;
    std::int64_t sent_at = 0;   // when the request in flight was sent (its timeout runs from here)
    std::int64_t due_at = 0;    // when it was due: its latency runs from here (closed loop: sent_at)
    std::deque<std::int64_t> queued;  // open loop: due times of requests waiting for this connection
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
  void start_pacing(const Pace& pace);
  void stop_pacing();
  void on_tick(RequestSource& source, const Window& window, std::int64_t now, Stats& stats);

  const Endpoint& endpoint_;
  int epoll_fd_ = -1;
  int timer_fd_ = -1;             // in the epoll set with data.ptr == nullptr; armed while paced
  std::vector<Connection> connections_;
  unsigned in_flight_ = 0;
  bool source_dry_ = false;
  Pace pace_;                     // period 0 unless an open-loop run is going on
  std::int64_t next_due_ = 0;     // open loop: when the next request falls due
  std::size_t next_connection_ = 0;  // and which connection it goes to
};

}  // namespace bench
