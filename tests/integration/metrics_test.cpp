// --metrics: after a known sequence of requests the counters say exactly what happened;
// /readyz says 503, with the reason, while the store is broken; other methods and paths
// get the right status; every name the dashboard and the alerts use is exported.
#include <fstream>
#include <sstream>

#include "daemon_fixture.hpp"
#include "support/http_client.hpp"
#include "support/run_program.hpp"

namespace grayling::test {
namespace {

using std::chrono::system_clock;

/// The value of the sample `series` (name and labels exactly as exported), or -1.
double sample(const std::string& scrape, const std::string& series) {
  std::istringstream lines(scrape);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

class Metrics : public DaemonTest {
 protected:
  std::uint16_t metrics_port_ = free_tcp_port();
  std::string metrics_option() const { return "--metrics=" + std::to_string(metrics_port_); }
};

TEST_F(Metrics, CountersSayExactlyWhatASequenceOfRequestsDid) {
  const std::string clients = dir_.file("clients");
  std::ofstream(clients) << "198.51.100.0/24\n";
  auto daemon = start_tcp({metrics_option(), "--delay=1", "--whitelist-clients=" + clients});
  auto client = connect();
  align_to_second();
  const auto first = system_clock::now();
  ASSERT_EQ(client.ask(rcpt_request("192.0.2.1", "a@example.org", "r@metrics.example")),
            greylist_reply("metrics.example"));                                             // greylist new
  ASSERT_EQ(client.ask(rcpt_request("203.0.113.1", "a@example.org", "r@metrics.example")),
            greylist_reply("metrics.example"));                                             // greylist new
  ASSERT_EQ(client.ask(rcpt_request("198.51.100.7", "a@example.org", "r@metrics.example")), kDunnoReply);  // whitelist
  sleep_until(first, 1100ms);
  ASSERT_TRUE(IsFirstPass(client.ask(rcpt_request("192.0.2.1", "a@example.org", "r@metrics.example"))));  // pass
  ASSERT_EQ(client.ask(rcpt_request("192.0.2.1", "a@example.org", "r@metrics.example")), kDunnoReply);   // cached pass
  ASSERT_EQ(client.ask(policy_request({{"request", "smtpd_access_policy"}, {"protocol_state", "DATA"}})),
            kDunnoReply);                                                                   // skipped

  const std::string scrape = http_exchange(metrics_port_, "GET", "/metrics");
  ASSERT_EQ(scrape.rfind("HTTP/1.1 200 OK\r\n", 0), 0U) << scrape;
  EXPECT_NE(scrape.find("Content-Type: text/plain; version=0.0.4"), std::string::npos);
  EXPECT_EQ(sample(scrape, R"(grayling_decisions_total{action="greylist",reason="new"})"), 2);
  EXPECT_EQ(sample(scrape, R"(grayling_decisions_total{action="pass",reason="client whitelist"})"), 1);
  EXPECT_EQ(sample(scrape, R"(grayling_decisions_total{action="pass",reason="triplet found"})"), 2);
  EXPECT_EQ(sample(scrape, R"(grayling_decisions_total{action="skip",reason="skipped"})"), 1);
  EXPECT_EQ(sample(scrape, R"(grayling_decisions_total{action="greylist",reason="early-retry"})"), 0);
  EXPECT_EQ(sample(scrape, "grayling_greylist_delay_seconds_count"), 1);
  EXPECT_EQ(sample(scrape, R"(grayling_greylist_delay_seconds_bucket{le="60"})"), 1);
  EXPECT_EQ(sample(scrape, "grayling_request_duration_seconds_count"), 6);
  EXPECT_EQ(sample(scrape, R"(grayling_store_rows{table="triplets"})"), 2);
  EXPECT_EQ(sample(scrape, R"(grayling_store_rows{table="clients"})"), 1);
  EXPECT_EQ(sample(scrape, "grayling_connections_accepted_total"), 1);
  EXPECT_EQ(sample(scrape, "grayling_connections_open"), 1);
  EXPECT_EQ(sample(scrape, R"(grayling_whitelist_entries{list="clients"})"), 1);
  EXPECT_EQ(sample(scrape, R"(grayling_build_info{version="0.1.0"})"), 1);
  EXPECT_GT(sample(scrape, "process_resident_memory_bytes"), 1e6);
  EXPECT_GT(sample(scrape, "process_open_fds"), 3);

  // Every name the dashboard and the alert rules may use is exported.
  std::ifstream names(std::string(GRAYLING_SOURCE_DIR) + "/tests/metrics/exported_names.txt");
  ASSERT_TRUE(names) << "tests/metrics/exported_names.txt";
  for (std::string name; std::getline(names, name);) {
    if (name.empty() || name[0] == '#') continue;
    EXPECT_NE(scrape.find("# TYPE " + name + " "), std::string::npos) << name << " is not exported";
  }

  // promtool (Debian's prometheus package) finds nothing to say about the exposition.
  if (run_program({"/bin/sh", "-c", "command -v promtool"}).exit_code == 0) {
    const std::string file = dir_.file("scrape.txt");
    std::ofstream(file) << scrape.substr(scrape.find("\r\n\r\n") + 4);
    const ProgramRun checked = run_program({"/bin/sh", "-c", "exec promtool check metrics < \"$0\"", file});
    EXPECT_EQ(checked.exit_code, 0) << checked.describe();
  } else if (const char* required = std::getenv("GRAYLING_PROMETHEUS_REQUIRED"); required && *required == '1') {
    ADD_FAILURE() << "GRAYLING_PROMETHEUS_REQUIRED is set, but promtool is not installed";
  }

  // A protocol violation, a reload, and a failed one.
  auto bad = connect();
  ASSERT_TRUE(bad.send(std::string(5000, 'x') + "\n"));
  EXPECT_TRUE(bad.wait_closed());
  daemon->send_signal(SIGHUP);
  ASSERT_TRUE(daemon->wait_for_log("reload complete"));
  std::filesystem::remove(clients);
  daemon->send_signal(SIGHUP);
  ASSERT_TRUE(daemon->wait_for_log("reload failed"));
  const std::string after = http_exchange(metrics_port_, "GET", "/metrics");
  EXPECT_EQ(sample(after, R"(grayling_connections_closed_total{reason="protocol_violation"})"), 1);
  EXPECT_EQ(sample(after, R"(grayling_reloads_total{result="ok"})"), 1);
  EXPECT_EQ(sample(after, R"(grayling_reloads_total{result="failed"})"), 1);
}

TEST_F(Metrics, HealthReadinessAndTheRightStatusForEverythingElse) {
  auto daemon = start_tcp({metrics_option()});
  EXPECT_EQ(http_exchange(metrics_port_, "GET", "/healthz").rfind("HTTP/1.1 200 OK", 0), 0U);
  EXPECT_EQ(http_exchange(metrics_port_, "GET", "/readyz").rfind("HTTP/1.1 200 OK", 0), 0U);
  EXPECT_EQ(http_exchange(metrics_port_, "HEAD", "/metrics").rfind("HTTP/1.1 200 OK", 0), 0U);
  const std::string post = http_exchange(metrics_port_, "POST", "/metrics");
  EXPECT_EQ(post.rfind("HTTP/1.1 405 Method Not Allowed", 0), 0U) << post;
  EXPECT_NE(post.find("Allow: GET, HEAD"), std::string::npos) << post;
  EXPECT_EQ(http_exchange(metrics_port_, "GET", "/other").rfind("HTTP/1.1 404 Not Found", 0), 0U);
  // A request that is not HTTP gets 400, and the policy side does not notice.
  const std::string garbled = http_exchange(metrics_port_, "GET", "/ not http");
  EXPECT_EQ(garbled.rfind("HTTP/1.1 400", 0), 0U) << garbled;
  auto client = connect();
  EXPECT_EQ(client.ask(rcpt_request("192.0.2.1", "a@example.org", "r@ready.example")), greylist_reply("ready.example"));
}

TEST_F(Metrics, ReadinessIs503WithTheReasonWhileTheStoreIsBroken) {
  // A PostgreSQL server that is not there: grayling starts, and answers per
  // --store-error-action; it is alive, not ready.
  auto daemon = start_tcp({metrics_option(), "--store=postgresql://grayling@127.0.0.1:1/none?connect_timeout=1"});
  auto client = connect();
  EXPECT_EQ(client.ask(rcpt_request("192.0.2.1", "a@example.org", "r@broken.example")), kDunnoReply);
  const std::string ready = http_exchange(metrics_port_, "GET", "/readyz");
  EXPECT_EQ(ready.rfind("HTTP/1.1 503 Service Unavailable", 0), 0U) << ready;
  EXPECT_NE(ready.find("not ready: the store is not usable"), std::string::npos) << ready;
  EXPECT_EQ(http_exchange(metrics_port_, "GET", "/healthz").rfind("HTTP/1.1 200 OK", 0), 0U);
  const std::string scrape = http_exchange(metrics_port_, "GET", "/metrics");
  EXPECT_GE(sample(scrape, R"(grayling_store_errors_total{kind="error"})"), 1);
  EXPECT_EQ(sample(scrape, R"(grayling_decisions_total{action="pass",reason="store error"})"), 1);
}

}  // namespace
}  // namespace grayling::test
