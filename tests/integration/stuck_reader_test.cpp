// A client that sends and stops reading: its answers fill the daemon's socket buffer, the
// write waits, and without a deadline the connection is pinned for ever and SIGTERM never
// ends the daemon (systemd kills it). Here such a client has a tiny receive buffer and
// pipelines requests without reading one answer; the daemon must close it at the write
// deadline, keep serving everyone else, and stop within a bounded time when told to.
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>

#include "daemon_fixture.hpp"

namespace grayling::test {
namespace {

using Clock = std::chrono::steady_clock;

class StuckReader : public DaemonTest {};

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

/// What became of a client that pipelined without reading.
struct Pipelined {
  bool reset = false;                      // the daemon closed the connection
  std::optional<Clock::time_point> ended;  // when the client saw that
  std::size_t sent = 0;                    // bytes the daemon (its kernel) took
  std::string error;                       // how the connection ended, if it did
};

/// Sends `request` again and again on `fd` without reading, until the connection is
/// reset, `limit` has passed, or `stop` is set.
Pipelined pipeline_without_reading(int fd, const std::string& request, std::chrono::milliseconds limit,
                                   const std::atomic<bool>& stop) {
  std::string burst;
  for (int i = 0; i < 64; ++i) burst += request;
  Pipelined result;
  std::size_t offset = 0;
  const auto end = Clock::now() + limit;
  const auto ended = [&result](std::string why) {
    result.reset = true;
    result.ended = Clock::now();
    result.error = std::move(why);
    return result;
  };
  while (Clock::now() < end && !stop) {
    const ssize_t n = ::send(fd, burst.data() + offset, burst.size() - offset, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      result.sent += static_cast<std::size_t>(n);
      offset = (offset + static_cast<std::size_t>(n)) % burst.size();
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return ended(std::strerror(errno));
    pollfd entry{fd, POLLOUT, 0};
    (void)::poll(&entry, 1, 100);
    if ((entry.revents & (POLLERR | POLLHUP)) != 0) {
      int so_error = 0;
      socklen_t size = sizeof so_error;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &size);
      return ended(so_error ? std::strerror(so_error) : "hang-up");
    }
  }
  return result;
}

/// A short request with a long answer (see kLongText): the daemon's send buffer fills long
/// before its receive buffer, so that it stops reading, and the client sees it, soon.
std::string small_request(const std::string& client_address) {
  return policy_request({{"request", "smtpd_access_policy"},
                         {"protocol_state", "RCPT"},
                         {"client_address", client_address},
                         {"client_name", "unknown"},
                         {"sender", "p@example.net"},
                         {"recipient", "r@stuck.example"}});
}
const std::string kLongText = "--greylist-text=" + std::string(900, 'x');

/// A client whose receive buffer holds only a few answers.
PolicyClient with_tiny_receive_buffer(PolicyClient client) {
  const int bytes = 1024;  // the kernel doubles it and rounds up to its minimum
  ::setsockopt(client.fd(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  return client;
}

const std::string kLongAnswer = "action=DEFER_IF_PERMIT " + std::string(900, 'x') + "\n\n";

TEST_F(StuckReader, AClientThatStopsReadingIsClosedAtTheWriteDeadline) {
  // The write deadline is --idle-timeout when that is shorter than 10 s.
  auto daemon = start_tcp({"--idle-timeout=3", kLongText});
  auto stuck = with_tiny_receive_buffer(connect());
  const auto start = Clock::now();
  std::atomic<bool> stop{false};
  Pipelined piped;
  std::jthread sender([&] { piped = pipeline_without_reading(stuck.fd(), small_request("192.0.2.60"), 20s, stop); });
  // Others are served while one connection's answer waits.
  std::this_thread::sleep_for(1500ms);
  auto other = connect();
  EXPECT_EQ(other.ask(rcpt_request("192.0.2.61", "s@example.net", "r@other.example")), kLongAnswer);
  sender.join();
  ASSERT_TRUE(piped.reset) << "the connection was still open 20 s after it stopped reading ("
                           << piped.sent << " bytes sent)";
  // Its answers filled the socket within a second or so; 3 s later it was closed.
  EXPECT_LT(std::chrono::duration<double>(*piped.ended - start).count(), 10.0);
  EXPECT_TRUE(daemon->wait_for_log("closing connection from " + stuck.local_endpoint() +
                                   ": its answer has not been read for 3 s"));
  EXPECT_TRUE(daemon->running());
  auto later = connect();  // `other` idled out meanwhile
  EXPECT_EQ(later.ask(rcpt_request("192.0.2.61", "s@example.net", "r2@other.example")), kLongAnswer);
}

TEST_F(StuckReader, SigtermEndsTheDaemonWithinItsLimitWhateverAClientDoes) {
  auto daemon = start_tcp({kLongText});  // --idle-timeout 600: the write deadline is 10 s
  auto stuck = with_tiny_receive_buffer(connect());
  std::atomic<bool> stop{false};
  std::jthread sender([&] { (void)pipeline_without_reading(stuck.fd(), small_request("192.0.2.62"), 20s, stop); });
  auto idle = connect();  // an idle connection, as Postfix keeps them
  std::this_thread::sleep_for(3s);  // the daemon's answers fill the socket within a second or so
  const auto signalled = Clock::now();
  daemon->send_signal(SIGTERM);
  const auto status = daemon->wait_exit(15s);
  stop = true;
  ASSERT_TRUE(status) << "still running 15 s after SIGTERM";
  EXPECT_LT(seconds_since(signalled), 5.0) << "a stop takes at most 2 s for the clients";
  EXPECT_TRUE(status->exited() && status->code() == 0) << status->describe();
  // The stuck connection was still waiting for its answer to be read at the limit.
  EXPECT_NE(daemon->log().find("closing connection from " + stuck.local_endpoint() +
                               ": stopping, and its answer could not be given within 2000 ms"),
            std::string::npos);
  EXPECT_TRUE(idle.wait_closed(1s));
}

}  // namespace
}  // namespace grayling::test
