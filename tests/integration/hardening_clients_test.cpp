// Hardening: hostile or broken clients. Hundreds of connections dripping a request one
// byte at a time and thousands of idle ones must not slow down a normal client; bad
// requests in a pipeline get DUNNO each; a request with too many attributes ends only its
// own connection.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <sstream>
#include <thread>

#include "daemon_fixture.hpp"
#include "support/http_client.hpp"

namespace grayling::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::system_clock;

class HardeningClients : public DaemonTest {};

/// Raises this process's RLIMIT_NOFILE soft limit to `wanted` (and the hard limit, if it
/// is lower and we may). Daemons started afterwards inherit it.
bool raise_fd_limit(rlim_t wanted, std::string* error) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    *error = std::strerror(errno);
    return false;
  }
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur >= wanted) return true;
  limit.rlim_cur = wanted;
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < wanted) limit.rlim_max = wanted;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    *error = std::strerror(errno);
    return false;
  }
  return true;
}

struct LatencyStats {
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  std::size_t failures = 0;
  std::size_t missing = 0;  // samples not taken: the time budget ran out

  [[nodiscard]] std::string describe() const {
    std::ostringstream text;
    text << std::fixed << std::setprecision(3) << "p50 " << p50_ms << " ms, p99 " << p99_ms << " ms, max " << max_ms
         << " ms";
    if (failures) text << ", " << failures << " wrong or missing replies";
    if (missing) text << ", " << missing << " requests not sent: out of time (each counted as taking the whole budget)";
    return text.str();
  }
};

/// `count` sequential requests on `client`, each a new message of one already passed
/// triplet (so each gets DUNNO after a read of the store), timed one by one. A sound
/// daemon needs well under a second for all; the time budget bounds a broken one.
LatencyStats measure_latency(PolicyClient& client, const std::string& client_address, const std::string& recipient,
                             int count, std::chrono::milliseconds budget = 5s) {
  std::vector<std::string> requests;
  for (int i = 0; i < count; ++i) requests.push_back(rcpt_request(client_address, "known@example.net", recipient));
  std::vector<double> millis;
  LatencyStats stats;
  const auto begin = Clock::now();
  for (const auto& request : requests) {
    if (Clock::now() - begin > budget) {
      ++stats.missing;
      millis.push_back(static_cast<double>(budget.count()));
      continue;
    }
    const auto start = Clock::now();
    const auto reply = client.ask(request, budget);
    millis.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    if (reply != std::optional<std::string>(kDunnoReply)) ++stats.failures;
  }
  std::sort(millis.begin(), millis.end());
  const auto at = [&millis](double quantile) {
    const auto index = static_cast<std::size_t>(std::ceil(quantile * static_cast<double>(millis.size()))) - 1;
    return millis[std::min(index, millis.size() - 1)];
  };
  stats.p50_ms = at(0.50);
  stats.p99_ms = at(0.99);
  stats.max_ms = millis.back();
  return stats;
}

/// Makes (`client_address`, known@example.net, `recipient`) a triplet past its delay on a
/// daemon started with --delay=1, then asks it a few times to warm up: what
/// measure_latency() times. `domain` is the recipient's.
void pass_known_triplet(PolicyClient& client, const std::string& client_address, const std::string& recipient,
                        const std::string& domain) {
  align_to_second();
  const auto first = system_clock::now();
  ASSERT_EQ(client.ask(rcpt_request(client_address, "known@example.net", recipient)), greylist_reply(domain));
  sleep_until(first, 1150ms);
  ASSERT_TRUE(IsFirstPass(client.ask(rcpt_request(client_address, "known@example.net", recipient)), 1));
  measure_latency(client, client_address, recipient, 50);  // warm-up
}

/// Connections that each send a valid request one byte at a time, one byte every `gap`
/// per connection (staggered), all driven by one thread with non-blocking sends.
class SlowDrip {
 public:
  SlowDrip(std::vector<PolicyClient> connections, std::chrono::milliseconds gap)
      : connections_(std::move(connections)), gap_(gap) {
    for (std::size_t i = 0; i < connections_.size(); ++i) {
      requests_.push_back(rcpt_request("203.0.113." + std::to_string(i % 250 + 1), "slow@example.net",
                                       "r" + std::to_string(i) + "@slow.example"));
    }
    offsets_.assign(connections_.size(), 0);
    thread_ = std::thread([this] { run(); });
  }
  ~SlowDrip() { stop(); }
  SlowDrip(const SlowDrip&) = delete;
  SlowDrip& operator=(const SlowDrip&) = delete;

  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  [[nodiscard]] long bytes_sent() const { return bytes_sent_.load(); }
  [[nodiscard]] int send_errors() const { return send_errors_.load(); }
  /// Connections the daemon closed (EOF, reset) or answered; both are unexpected while
  /// no request is complete yet.
  [[nodiscard]] int closed_or_answered() const { return closed_or_answered_.load(); }
  [[nodiscard]] std::size_t size() const { return connections_.size(); }

 private:
  void run() {
    // The hostile clients stand for other machines: their own CPU time must not be what
    // slows the normal client down on a two-core test box, so this thread yields to it.
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);
    const std::size_t count = connections_.size();
    const auto start = Clock::now();
    std::vector<Clock::time_point> due(count);
    for (std::size_t i = 0; i < count; ++i) due[i] = start + gap_ * static_cast<long>(i) / static_cast<long>(count);
    std::vector<pollfd> fds(count);
    std::vector<bool> seen(count, false);
    for (std::size_t i = 0; i < count; ++i) fds[i] = pollfd{connections_[i].fd(), POLLIN, 0};
    while (!stop_) {
      const auto now = Clock::now();
      auto next = now + 5ms;
      for (std::size_t i = 0; i < count; ++i) {
        if (due[i] <= now) {
          const std::string& request = requests_[i];
          const ssize_t sent = ::send(fds[i].fd, request.data() + offsets_[i], 1, MSG_DONTWAIT | MSG_NOSIGNAL);
          if (sent == 1) {
            ++bytes_sent_;
            if (++offsets_[i] == request.size()) offsets_[i] = 0;  // (not reached in a test's time)
          } else if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            ++send_errors_;
          }
          due[i] += gap_;
        }
        next = std::min(next, due[i]);
      }
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now()).count();
      // Also watches for the daemon closing (or answering) any of these connections.
      if (::poll(fds.data(), fds.size(), static_cast<int>(std::max<long long>(wait, 0))) > 0) {
        for (std::size_t i = 0; i < count; ++i) {
          if (fds[i].revents != 0 && !seen[i]) {
            seen[i] = true;
            ++closed_or_answered_;
            fds[i].fd = -fds[i].fd - 1;  // poll ignores negative descriptors: stop watching it
          }
        }
      }
    }
  }

  std::vector<PolicyClient> connections_;
  std::vector<std::string> requests_;
  std::vector<std::size_t> offsets_;
  std::chrono::milliseconds gap_;
  std::atomic<bool> stop_{false};
  std::atomic<long> bytes_sent_{0};
  std::atomic<int> send_errors_{0};
  std::atomic<int> closed_or_answered_{0};
  std::thread thread_;
};

// 6. Slow and idle clients never delay others.
TEST_F(HardeningClients, SlowAndIdleClientsDoNotDelayOthers) {
  constexpr int kSlow = 300;
  constexpr int kIdle = 2000;
  constexpr int kSamples = 500;
  constexpr auto kRetryBudget = 12s;  // start no new attempt after this much time
  constexpr auto kDripGap = 100ms;
  std::string error;
  if (!raise_fd_limit(8192, &error)) GTEST_SKIP() << "cannot raise RLIMIT_NOFILE to 8192: " << error;

  auto daemon = start_tcp({"--delay=1", "--max-connections=4096"});
  auto client = connect();
  const std::string known_client = "192.0.2.200";
  const std::string known_recipient = "known@latency.example";
  pass_known_triplet(client, known_client, known_recipient, "latency.example");
  ASSERT_FALSE(HasFatalFailure());

  // Each attempt: the normal client's latency on a daemon without other clients, then
  // with the hostile load. A daemon that lets slow or idle clients hold up others fails
  // every attempt (or times out); a burst of CPU load from elsewhere on a busy two-core
  // machine (other builds, the rest of the suite run in parallel) must not fail the test,
  // hence further attempts, a pause apart, for up to kRetryBudget.
  std::ostringstream history;
  bool within_bound = false;
  int attempts = 0;
  const auto retries_start = Clock::now();
  for (int attempt = 1; !within_bound && (attempt == 1 || Clock::now() - retries_start < kRetryBudget); ++attempt) {
    attempts = attempt;
    if (attempt > 1) std::this_thread::sleep_for(500ms);
    const LatencyStats idle = measure_latency(client, known_client, known_recipient, kSamples);
    ASSERT_EQ(idle.failures, 0u) << idle.describe();

    // The hostile load: idle connections, then slow ones, all held open.
    std::vector<PolicyClient> idlers;
    idlers.reserve(kIdle);
    for (int i = 0; i < kIdle; ++i) idlers.push_back(connect());
    std::vector<PolicyClient> slow;
    slow.reserve(kSlow);
    for (int i = 0; i < kSlow; ++i) slow.push_back(connect());
    SlowDrip drip(std::move(slow), kDripGap);
    std::this_thread::sleep_for(700ms);  // every slow client is now mid-request, dripping
    // Accepts are in order: a newcomer served means all of the above were admitted.
    EXPECT_EQ(connect().ask(rcpt_request("192.0.2.201", "new@example.net", "r" + std::to_string(attempt) +
                                                                            "@newcomer.example")),
              greylist_reply("newcomer.example"));

    const auto loaded_start = Clock::now();
    const LatencyStats loaded = measure_latency(client, known_client, known_recipient, kSamples);
    const long dripped = drip.bytes_sent();
    drip.stop();
    const double dripping_s = std::chrono::duration<double>(Clock::now() - loaded_start).count() + 0.7;

    history << "attempt " << attempt << ": idle daemon " << idle.describe() << "; with " << kIdle << " idle and "
            << kSlow << " slow connections " << loaded.describe() << " (" << dripped << " bytes dripped in about "
            << std::setprecision(2) << dripping_s << " s)\n";
    EXPECT_EQ(loaded.failures, 0u) << loaded.describe();
    EXPECT_EQ(loaded.missing, 0u) << loaded.describe();
    EXPECT_EQ(drip.send_errors(), 0) << "the daemon dropped slow clients";
    EXPECT_EQ(drip.closed_or_answered(), 0) << "slow clients were closed or answered before finishing a request";
    EXPECT_GT(dripped, static_cast<long>(kSlow) * 5) << "the slow load hardly ran";
    std::size_t idle_closed = 0;
    for (auto& idler : idlers) idle_closed += idler.wait_closed(0ms) ? 1 : 0;
    EXPECT_EQ(idle_closed, 0u) << "idle connections were closed (idle timeout is 600 s)";
    if (HasFailure()) break;  // broken, not noisy: retrying cannot help
    // p99 may at most double. The absolute 1 ms of slack keeps a sub-millisecond idle p99
    // (typical on loopback) from turning scheduler noise into failures.
    within_bound = loaded.p99_ms <= 2 * idle.p99_ms + 1.0;
    RecordProperty("p99_idle_us_" + std::to_string(attempt), static_cast<int>(idle.p99_ms * 1000));
    RecordProperty("p99_loaded_us_" + std::to_string(attempt), static_cast<int>(loaded.p99_ms * 1000));
  }  // the hostile connections close here; the next attempt measures without them again
  std::cerr << history.str();
  EXPECT_TRUE(within_bound) << "p99 with slow and idle clients above 2 x p99 without them + 1 ms in every one of "
                            << attempts << " attempts:\n"
                            << history.str();
  EXPECT_EQ(daemon->count_in_log("accept on "), 0u) << "accept failed (descriptor limit?)";
  EXPECT_EQ(daemon->count_in_log("connection limit"), 0u);
  EXPECT_TRUE(daemon->running());
}

/// GET /metrics on a new connection; true if a whole 200 response came back.
bool scrape(std::uint16_t port) {
  const std::string response = http_exchange(port, "GET", "/metrics");
  return response.rfind("HTTP/1.1 200 OK", 0) == 0 && response.find("process_start_time_seconds") != std::string::npos;
}

// The metrics endpoint shares the policy server's event loop: scrapers, slow HTTP clients
// that never finish their headers and clients that send garbage must not hold policy
// requests up. Measured as the slow-client test above measures: p99 at most doubles.
TEST_F(HardeningClients, ScrapersAndHostileHttpClientsDoNotDelayPolicyTraffic) {
  constexpr int kSamples = 500;
  constexpr int kScrapers = 4;
  constexpr int kSlowHttp = 16;  // the endpoint's connection limit: later ones are refused
  constexpr auto kRetryBudget = 12s;
  const std::uint16_t metrics_port = free_tcp_port();
  auto daemon = start_tcp({"--delay=1", "--metrics=" + std::to_string(metrics_port)});
  auto client = connect();
  const std::string known_client = "192.0.2.210";
  const std::string known_recipient = "known@scrape.example";
  pass_known_triplet(client, known_client, known_recipient, "scrape.example");
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(scrape(metrics_port));

  std::ostringstream history;
  bool within_bound = false;
  int attempts = 0;
  std::atomic<int> scrapes{0}, failed_scrapes{0};
  const auto retries_start = Clock::now();
  for (int attempt = 1; !within_bound && (attempt == 1 || Clock::now() - retries_start < kRetryBudget); ++attempt) {
    attempts = attempt;
    if (attempt > 1) std::this_thread::sleep_for(500ms);
    const LatencyStats idle = measure_latency(client, known_client, known_recipient, kSamples);
    ASSERT_EQ(idle.failures, 0u) << idle.describe();

    // Slow HTTP clients: half a request line each, then nothing; and garbage.
    std::vector<int> hostile;
    for (int i = 0; i < kSlowHttp; ++i) {
      const int fd = connect_loopback(metrics_port);
      if (fd >= 0) {
        const char* part = i % 2 ? "GET /metr" : "\x16\x03\x01 garbage\r\n\r\n";
        (void)::send(fd, part, std::strlen(part), MSG_NOSIGNAL);
        hostile.push_back(fd);
      }
    }
    // Scrapers, each every 20 ms: 200 scrapes a second (Prometheus does one in 15 s).
    std::atomic<bool> stop{false};
    std::vector<std::thread> scrapers;
    for (int i = 0; i < kScrapers; ++i) {
      scrapers.emplace_back([&] {
        while (!stop) {
          (scrape(metrics_port) ? scrapes : failed_scrapes)++;
          std::this_thread::sleep_for(20ms);
        }
      });
    }
    std::this_thread::sleep_for(200ms);
    const LatencyStats loaded = measure_latency(client, known_client, known_recipient, kSamples);
    stop = true;
    for (auto& thread : scrapers) thread.join();
    for (const int fd : hostile) ::close(fd);

    history << "attempt " << attempt << ": without scrapers " << idle.describe() << "; with " << kScrapers
            << " scrapers and " << hostile.size() << " slow or garbled HTTP clients " << loaded.describe() << "\n";
    EXPECT_EQ(loaded.failures, 0u) << loaded.describe();
    EXPECT_EQ(loaded.missing, 0u) << loaded.describe();
    if (HasFailure()) break;
    within_bound = loaded.p99_ms <= 2 * idle.p99_ms + 1.0;
  }
  std::cerr << history.str();
  EXPECT_TRUE(within_bound) << "p99 with scrapers above 2 x p99 without them + 1 ms in every one of " << attempts
                            << " attempts:\n"
                            << history.str();
  EXPECT_GT(scrapes.load(), 10) << "the scrapers hardly ran";
  // Slow clients hold at most the endpoint's 16 connections, for 5 s each: scrapers
  // refused meanwhile are the price, policy traffic is not.
  EXPECT_TRUE(scrape(metrics_port)) << "the endpoint did not recover";
  EXPECT_TRUE(daemon->running());
}

/// A short RCPT request for `client_address` (any text), recipient in `domain`.
std::string with_address(const std::string& client_address, const std::string& recipient) {
  return policy_request({{"request", "smtpd_access_policy"},
                         {"protocol_state", "RCPT"},
                         {"client_address", client_address},
                         {"client_name", "unknown"},
                         {"sender", "s@example.net"},
                         {"recipient", recipient}});
}

// 7. Unknown request types and unparseable client addresses, pipelined between good
// requests in one write: DUNNO each, in order, with a warning; the connection goes on.
TEST_F(HardeningClients, PipelinedBadRequestsGetDunnoEachAndTheConnectionStaysUsable) {
  auto daemon = start_tcp();
  auto client = connect();
  std::string batch;
  batch += with_address("192.0.2.220", "a@pipe-one.example");                                     // greylist
  batch += rcpt_request("192.0.2.221", "s@example.net", "b@pipe.example", {{"request", "nonsense"}});  // DUNNO
  batch += with_address("999.1.2.3", "c@pipe.example");                                         // DUNNO
  batch += with_address("2001:db8::zz", "d@pipe.example");                                      // DUNNO
  batch += with_address("not an address", "e@pipe.example");                                    // DUNNO
  batch += with_address("192.0.2.", "f@pipe.example");                                          // DUNNO
  batch += rcpt_request("192.0.2.222", "s@example.net", "g@pipe.example", {{"request", ""}});    // DUNNO
  batch += with_address("192.0.2.223", "h@pipe-two.example");                                     // greylist
  ASSERT_TRUE(client.send(batch));
  const auto replies = client.read_replies(8);
  ASSERT_EQ(replies.size(), 8u) << client.error();
  EXPECT_EQ(replies[0], greylist_reply("pipe-one.example"));
  for (int i = 1; i <= 6; ++i) EXPECT_EQ(replies[i], kDunnoReply) << "reply " << i;
  EXPECT_EQ(replies[7], greylist_reply("pipe-two.example"));
  EXPECT_TRUE(client.pending().empty()) << "unexpected extra bytes: " << client.pending();

  EXPECT_TRUE(daemon->wait_for_log("warning: unrecognized request type: 'nonsense'"));
  EXPECT_TRUE(daemon->wait_for_log("warning: unparseable client_address: '999.1.2.3'"));
  EXPECT_TRUE(daemon->wait_for_log("warning: unparseable client_address: '2001:db8::zz'"));
  EXPECT_TRUE(daemon->wait_for_log("warning: unparseable client_address: 'not an address'"));
  EXPECT_TRUE(daemon->wait_for_log("warning: unparseable client_address: '192.0.2.'"));
  EXPECT_TRUE(daemon->wait_for_log("warning: unrecognized request type: ''"));

  // Same connection: still served, and the pipeline left no state behind.
  EXPECT_EQ(client.ask(with_address("192.0.2.224", "i@pipe-three.example")), greylist_reply("pipe-three.example"));
  EXPECT_TRUE(daemon->wait_for_count("action=greylist", 3));
  EXPECT_EQ(daemon->count_in_log("action=greylist"), 3u);
  EXPECT_EQ(daemon->count_in_log("closing connection"), 0u);
}

// 7b. More attributes than --max-attributes: that connection is closed without a reply
// and with a warning naming the peer; a request at the limit is served; others go on.
TEST_F(HardeningClients, TooManyAttributesCloseOnlyThatConnection) {
  auto daemon = start_tcp({"--max-attributes=16"});
  auto bystander = connect();

  // rcpt_request() has 13 attributes: 3 more is exactly the limit.
  auto at_limit = connect();
  EXPECT_EQ(at_limit.ask(rcpt_request("192.0.2.230", "s@example.net", "r@attrs.example",
                                      {{"x1", "1"}, {"x2", "2"}, {"x3", "3"}})),
            greylist_reply("attrs.example"));

  auto one_over = connect();
  const std::string one_over_peer = one_over.local_endpoint();
  ASSERT_TRUE(one_over.send(rcpt_request("192.0.2.231", "s@example.net", "r@attrs.example",
                                         {{"x1", "1"}, {"x2", "2"}, {"x3", "3"}, {"x4", "4"}})));
  EXPECT_TRUE(one_over.wait_closed(5s)) << one_over.error();
  EXPECT_EQ(one_over.pending(), "") << "no reply may be sent";
  EXPECT_TRUE(daemon->wait_for_log("warning: closing connection from " + one_over_peer + ": more than 16 attributes"));

  // A flood: 100000 tiny attributes (repeating one name) in one go.
  auto flood = connect();
  const std::string flood_peer = flood.local_endpoint();
  std::string lines = "request=smtpd_access_policy\n";
  lines.reserve(100000 * 6);
  for (int i = 0; i < 100000; ++i) lines += "a=b\n";
  lines += "\n";
  flood.send(lines, 5s);  // may fail part-way: the daemon hangs up early
  EXPECT_TRUE(flood.wait_closed(5s)) << flood.error();
  EXPECT_EQ(flood.pending(), "");
  EXPECT_TRUE(daemon->wait_for_log("closing connection from " + flood_peer + ": more than 16 attributes"));

  EXPECT_EQ(bystander.ask(rcpt_request("192.0.2.232", "s@example.net", "r@bystander.example")),
            greylist_reply("bystander.example"));
  EXPECT_EQ(at_limit.ask(rcpt_request("192.0.2.233", "s@example.net", "r@bystander.example")),
            greylist_reply("bystander.example"));
  EXPECT_TRUE(daemon->running());
}

}  // namespace
}  // namespace grayling::test
