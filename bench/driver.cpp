/// The epoll client loop of driver.hpp.

#include "driver.hpp"

#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace bench {

namespace {
constexpr std::int64_t kRetryDelay = 100'000'000;       // between failed connect attempts
constexpr std::int64_t kHousekeepingEvery = 20'000'000;  // timeouts and reconnects
constexpr int kMaxEvents = 256;

timespec to_timespec(std::int64_t nanoseconds) {
  timespec result{};
  result.tv_sec = static_cast<time_t>(nanoseconds / 1'000'000'000);
  result.tv_nsec = static_cast<long>(nanoseconds % 1'000'000'000);
  return result;
}
}  // namespace

std::int64_t now_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

Pace pace_of_thread(const Window& window, unsigned thread, unsigned threads) {
  Pace pace;
  if (window.rate <= 0) return pace;
  const double spacing = 1e9 / window.rate;  // ns between two requests of all threads together
  pace.first = window.paced_from + std::llround(spacing * thread);
  pace.period = std::max<std::int64_t>(1, std::llround(spacing * threads));
  return pace;
}

Driver::Driver(const Endpoint& endpoint, unsigned connections) : endpoint_(endpoint), connections_(connections) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
  timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (timer_fd_ < 0) {
    ::close(epoll_fd_);
    throw std::runtime_error(std::string("timerfd_create: ") + std::strerror(errno));
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.ptr = nullptr;  // not a connection
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, timer_fd_, &event);
}

Driver::~Driver() {
  for (auto& connection : connections_) drop(connection);
  ::close(timer_fd_);
  ::close(epoll_fd_);
}

unsigned Driver::open_all(Stats& stats) {
  unsigned open = 0;
  for (auto& connection : connections_) open += reopen(connection, stats) ? 1 : 0;
  return open;
}

void Driver::drop(Connection& connection) {
  if (connection.fd >= 0) ::close(connection.fd);  // also leaves the epoll set
  connection.fd = -1;
  if (connection.busy) --in_flight_;
  connection.busy = false;
  connection.want_write = false;
  connection.in_length = 0;
}

bool Driver::reopen(Connection& connection, Stats& stats) {
  drop(connection);
  connection.fd = connect_nonblocking(endpoint_);
  if (connection.fd < 0) {
    ++stats.connect_failures;
    connection.retry_at = now_ns() + kRetryDelay;
    return false;
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.ptr = &connection;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, connection.fd, &event);
  return true;
}

void Driver::start_request(Connection& connection, RequestSource& source, Stats& stats) {
  if (source_dry_ || connection.fd < 0 || connection.busy) return;
  if (pace_.period > 0 && connection.queued.empty()) return;  // open loop: nothing due here
  if (!source.next(connection.out)) {
    source_dry_ = true;
    return;
  }
  connection.busy = true;
  ++in_flight_;
  connection.written = 0;
  connection.sent_at = now_ns();
  if (pace_.period > 0) {
    connection.due_at = connection.queued.front();
    connection.queued.pop_front();
  } else {
    connection.due_at = connection.sent_at;
  }
  flush(connection, stats);
}

void Driver::flush(Connection& connection, Stats& stats) {
  while (connection.written < connection.out.size()) {
    const ssize_t sent = ::send(connection.fd, connection.out.data() + connection.written,
                                connection.out.size() - connection.written, MSG_NOSIGNAL);
    if (sent > 0) {
      connection.written += static_cast<std::size_t>(sent);
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!connection.want_write) {
        epoll_event event{};
        event.events = EPOLLIN | EPOLLOUT;
        event.data.ptr = &connection;
        epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, connection.fd, &event);
        connection.want_write = true;
      }
      return;
    }
    ++stats.closed;  // EPIPE, ECONNRESET: the server went away under us
    reopen(connection, stats);
    return;
  }
  if (connection.want_write) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = &connection;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, connection.fd, &event);
    connection.want_write = false;
  }
}

void Driver::record(std::string_view reply, std::int64_t latency, const Window& window, std::int64_t now,
                    Stats& stats) {
  if (now < window.measure_from) return;
  stats.latency.record(latency);
  ++stats.actions[static_cast<std::size_t>(classify_reply(reply))];
  if (window.interval > 0) {
    const auto slot = static_cast<std::size_t>((now - window.measure_from) / window.interval);
    if (stats.intervals.size() <= slot) stats.intervals.resize(slot + 1);
    stats.intervals[slot].record(latency);
  }
  if (window.measured && window.measured->fetch_add(1, std::memory_order_relaxed) + 1 == window.measured_target) {
    if (window.target_reached_at) window.target_reached_at->store(now);
    window.stop->store(true);
  }
}

void Driver::on_readable(Connection& connection, RequestSource& source, const Window& window, std::int64_t now,
                         Stats& stats) {
  // One recv per readiness event: a reply is ~100 bytes and usually arrives whole.
  const ssize_t received = ::recv(connection.fd, connection.in.data() + connection.in_length,
                                  connection.in.size() - connection.in_length, 0);
  if (received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  if (received <= 0) {
    ++stats.closed;
    reopen(connection, stats);
    start_request(connection, source, stats);
    return;
  }
  const std::size_t searched_from = connection.in_length == 0 ? 0 : connection.in_length - 1;
  connection.in_length += static_cast<std::size_t>(received);
  const std::string_view buffer(connection.in.data(), connection.in_length);
  const std::size_t end = buffer.find("\n\n", searched_from);
  if (end == std::string_view::npos) {
    if (connection.in_length == connection.in.size()) {  // no reply is that long
      ++stats.bad_replies;
      reopen(connection, stats);
      start_request(connection, source, stats);
    }
    return;
  }
  if (!connection.busy || end + 2 != connection.in_length) {  // bytes nobody asked for
    ++stats.bad_replies;
    reopen(connection, stats);
    start_request(connection, source, stats);
    return;
  }
  record(buffer.substr(0, end), now - connection.due_at, window, now, stats);
  connection.in_length = 0;
  connection.busy = false;
  --in_flight_;
  start_request(connection, source, stats);
}

void Driver::housekeeping(RequestSource& source, const Window& window, std::int64_t now, Stats& stats) {
  for (auto& connection : connections_) {
    if (connection.fd < 0) {
      if (now >= connection.retry_at && reopen(connection, stats)) start_request(connection, source, stats);
    } else if (connection.busy && now - connection.sent_at > window.timeout) {
      ++stats.timeouts;
      if (reopen(connection, stats)) start_request(connection, source, stats);
    }
  }
}

void Driver::start_pacing(const Pace& pace) {
  pace_ = pace;
  next_due_ = pace.first;
  next_connection_ = 0;
  // Periodic from the first due time: the kernel keeps the schedule, the loop only reads it.
  itimerspec spec{};
  spec.it_value = to_timespec(std::max<std::int64_t>(pace.first, 1));
  spec.it_interval = to_timespec(pace.period);
  if (timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr) != 0) {
    throw std::runtime_error(std::string("timerfd_settime: ") + std::strerror(errno));
  }
}

void Driver::stop_pacing() {
  if (pace_.period == 0) return;
  const itimerspec disarm{};
  timerfd_settime(timer_fd_, 0, &disarm, nullptr);
  pace_ = {};
  for (auto& connection : connections_) connection.queued.clear();
}

void Driver::on_tick(RequestSource& source, const Window& window, std::int64_t now, Stats& stats) {
  std::uint64_t expirations = 0;
  while (::read(timer_fd_, &expirations, sizeof expirations) < 0 && errno == EINTR) {
  }
  if (pace_.period == 0) return;
  // Every request due by now (more than one if the loop was late), each to the next
  // connection in turn; one whose reply is outstanding keeps it queued until then.
  while (next_due_ <= now) {
    auto& connection = connections_[next_connection_];
    if (++next_connection_ == connections_.size()) next_connection_ = 0;
    const std::int64_t due = next_due_;
    next_due_ += pace_.period;
    connection.queued.push_back(due);
    start_request(connection, source, stats);
    if (connection.busy && connection.due_at == due && due >= window.measure_from) {
      stats.send_lag.record(connection.sent_at - due);  // sent at once: only our own delay
    }
  }
}

void Driver::run(RequestSource& source, const Window& window, Stats& stats, const Pace& pace) {
  source_dry_ = false;
  if (pace.period > 0) start_pacing(pace);
  struct Unpace {
    Driver& driver;
    ~Unpace() { driver.stop_pacing(); }
  } unpace{*this};
  for (auto& connection : connections_) start_request(connection, source, stats);
  epoll_event events[kMaxEvents];
  std::int64_t next_housekeeping = now_ns() + kHousekeepingEvery;
  for (;;) {
    if (source_dry_ && in_flight_ == 0) return;
    if (window.stop && window.stop->load(std::memory_order_relaxed)) return;
    std::int64_t now = now_ns();
    if (now >= window.stop_at) return;
    if (now >= next_housekeeping) {
      housekeeping(source, window, now, stats);
      next_housekeeping = now + kHousekeepingEvery;
    }
    const std::int64_t wait = std::min(next_housekeeping, window.stop_at) - now;
    const int ready = epoll_wait(epoll_fd_, events, kMaxEvents, static_cast<int>(wait / 1'000'000 + 1));
    if (ready < 0 && errno != EINTR) throw std::runtime_error(std::string("epoll_wait: ") + std::strerror(errno));
    // Every reply in this batch had arrived by now: one clock read serves them all.
    now = now_ns();
    if (now >= window.stop_at) return;
    for (int i = 0; i < ready; ++i) {
      if (events[i].data.ptr == nullptr) {
        on_tick(source, window, now, stats);
        continue;
      }
      auto& connection = *static_cast<Connection*>(events[i].data.ptr);
      if (connection.fd < 0) continue;
      if ((events[i].events & EPOLLOUT) && connection.busy) flush(connection, stats);
      if (connection.fd >= 0 && (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
        on_readable(connection, source, window, now, stats);
      }
    }
  }
}

}  // namespace bench
