// --metrics connections: the endpoint has 16, and no client keeps one for long. A kept-alive
// connection is closed after 2 s without a request and after 10 s in all, and a new
// connection beyond the 16 closes the one idle longest, so clients that keep their
// connections busy can never lock a /readyz probe out.
#include <atomic>
#include <iostream>
#include <thread>

#include "daemon_fixture.hpp"
#include "support/http_client.hpp"

namespace grayling::test {
namespace {

using Clock = std::chrono::steady_clock;

// The bounds the README and grayling(8) state.
constexpr auto kIdleBound = 2s;
constexpr auto kLifetimeBound = 10s;
constexpr int kConnectionLimit = 16;
// How late a close may come on a loaded machine and still count as on time.
constexpr auto kLateness = 1500ms;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

bool is_ok(const std::optional<std::string>& response) {
  return response && response->rfind("HTTP/1.1 200 OK\r\n", 0) == 0;
}

class MetricsConnections : public DaemonTest {
 protected:
  void SetUp() override { daemon_ = start_tcp({"-v", "--metrics=" + std::to_string(metrics_port_)}); }

  std::uint16_t metrics_port_ = free_tcp_port();
  std::unique_ptr<DaemonProcess> daemon_;

  /// A connection to the endpoint; fails the test if there is none.
  PolicyClient connect_metrics() {
    std::string error;
    auto connection = PolicyClient::connect_tcp("127.0.0.1", metrics_port_, 5s, &error);
    if (!connection) throw std::runtime_error("cannot connect to the metrics port: " + error);
    return std::move(*connection);
  }
};

// The scenario: as many keep-alive clients as there are connections, each asking
// every second (under the 2 s idle bound and the 5 s request bound, so neither closes
// them). Before the eviction a probe on a new connection was closed unanswered for as long
// as they kept asking; now each probe is answered at once.
TEST_F(MetricsConnections, KeepAliveClientsCannotLockAReadinessProbeOut) {
  std::atomic<bool> stop{false};
  std::atomic<int> connected{0}, answered{0}, reconnects{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kConnectionLimit; ++i) {
    clients.emplace_back([&] {
      std::optional<PolicyClient> connection = PolicyClient::connect_tcp("127.0.0.1", metrics_port_);
      bool counted = false;
      while (!stop) {
        if (connection && is_ok(http_get_kept_alive(*connection, "/metrics"))) {
          ++answered;
          if (!counted) ++connected;
          counted = true;
        } else {
          // Closed by the server (an eviction, or the lifetime bound): reconnect, as
          // keep-alive clients do.
          ++reconnects;
          connection = PolicyClient::connect_tcp("127.0.0.1", metrics_port_);
        }
        for (int slept = 0; slept < 10 && !stop; ++slept) std::this_thread::sleep_for(100ms);
      }
    });
  }
  const auto all_connected_by = Clock::now() + 10s;
  while (connected < kConnectionLimit && Clock::now() < all_connected_by) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(connected.load(), kConnectionLimit) << "not every keep-alive client got its first answer";

  // Every connection is now held by a client that asks again within a second.
  std::vector<std::string> outcomes;
  for (int probe = 0; probe < 5; ++probe) {
    const auto start = Clock::now();
    const std::string response = http_exchange(metrics_port_, "GET", "/readyz");
    const double took = seconds_since(start);
    EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0U)
        << "probe " << probe + 1 << " on a new connection got: \"" << response << "\" after " << took << " s";
    EXPECT_LT(took, 1.0) << "probe " << probe + 1;
    std::this_thread::sleep_for(500ms);
  }
  stop = true;
  for (auto& client : clients) client.join();
  std::cout << "measured: " << kConnectionLimit << " keep-alive clients, " << answered << " answers, " << reconnects
            << " reconnects (after an eviction), "
            << daemon_->count_in_log("metrics: closing the connection idle for") << " evictions\n";
  // Each client was answered before the probes and again while they ran.
  EXPECT_GE(answered.load(), 2 * kConnectionLimit) << "the keep-alive clients were not served";
  // The first probe met 16 held connections: it was served by closing an idle one.
  EXPECT_GE(daemon_->count_in_log("metrics: closing the connection idle for"), 1u);
  EXPECT_TRUE(daemon_->running());
}

// A kept-alive connection that sends nothing more is closed after the idle bound, and so
// is one that never sent anything; neither waits for the 5 s a request may take.
TEST_F(MetricsConnections, AnIdleConnectionIsClosedAfterTheIdleBound) {
  PolicyClient silent = connect_metrics();
  const auto silent_since = Clock::now();
  PolicyClient used = connect_metrics();
  ASSERT_TRUE(is_ok(http_get_kept_alive(used, "/healthz")));
  const auto idle_since = Clock::now();

  ASSERT_TRUE(used.wait_closed(kLifetimeBound)) << "a kept-alive connection was still open after 10 s idle";
  const double used_idle = seconds_since(idle_since);
  ASSERT_TRUE(silent.wait_closed(kLifetimeBound)) << "a silent connection was still open after 10 s";
  const double silent_idle = seconds_since(silent_since);
  std::cout << "measured: idle connection closed after " << used_idle << " s, silent one after " << silent_idle
            << " s\n";
  const double bound = std::chrono::duration<double>(kIdleBound).count();
  const double late = std::chrono::duration<double>(kLateness).count();
  EXPECT_GE(used_idle, bound - 0.1);
  EXPECT_LE(used_idle, bound + late) << "closed after " << used_idle << " s idle, the bound is " << bound << " s";
  EXPECT_GE(silent_idle, bound - 0.1);
  EXPECT_LE(silent_idle, bound + late) << "closed after " << silent_idle << " s silent, the bound is " << bound
                                       << " s";
  // The endpoint is still there for the next client.
  EXPECT_EQ(http_exchange(metrics_port_, "GET", "/readyz").rfind("HTTP/1.1 200 OK", 0), 0U);
}

// A client that asks every 250 ms is never idle for long, yet its connection ends at the
// lifetime bound: the response in flight says "Connection: close", or, should the bound
// fall between two requests, the connection is closed there.
TEST_F(MetricsConnections, AConnectionThatKeepsAskingIsClosedAtTheLifetimeBound) {
  PolicyClient connection = connect_metrics();
  const auto opened = Clock::now();
  const auto give_up = opened + kLifetimeBound + 2 * kLateness;
  int answers = 0;
  bool told = false;
  while (Clock::now() < give_up) {
    const auto response = http_get_kept_alive(connection, "/metrics");
    if (!is_ok(response)) break;  // closed between two requests
    ++answers;
    if (response->find("\r\nConnection: close\r\n") != std::string::npos) {
      told = true;
      ASSERT_TRUE(connection.wait_closed(2s)) << "said Connection: close but stayed open";
      break;
    }
    std::this_thread::sleep_for(250ms);
  }
  const double lived = seconds_since(opened);
  std::cout << "measured: a connection asking every 250 ms was closed after " << lived << " s and " << answers
            << " answers (" << (told ? "told in its last response" : "between two requests") << ")\n";
  const double bound = std::chrono::duration<double>(kLifetimeBound).count();
  EXPECT_GE(lived, bound - 0.1);
  EXPECT_LE(lived, bound + std::chrono::duration<double>(kLateness).count())
      << "still open after " << lived << " s, the bound is " << bound << " s";
  EXPECT_GT(answers, 20);
}

}  // namespace
}  // namespace grayling::test
