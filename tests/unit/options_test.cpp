#include "grayling/config/options.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "grayling/core/version.hpp"
#include "parse_command_line.hpp"

namespace grayling {
namespace {

test::ParseOutcome parse(std::vector<std::string> args) { return test::parse_command_line(std::move(args)); }

TEST(Options, PostgreyDefaults) {
  const auto result = parse({"--inet=10023"});
  ASSERT_TRUE(result.parsed.config) << result.err;
  const Config& config = *result.parsed.config;
  EXPECT_EQ(config.server.listeners.size(), 2U);
  EXPECT_EQ(config.engine.delay, 300);
  EXPECT_EQ(config.engine.max_age, 35 * 86400);
  EXPECT_EQ(config.engine.retry_window, 2 * 86400);
  EXPECT_EQ(config.engine.keys.ipv4_prefix, 24);
  EXPECT_EQ(config.engine.keys.ipv6_prefix, 64);
  EXPECT_FALSE(config.engine.keys.lookup_by_host);
  EXPECT_EQ(config.engine.greylist_action, "DEFER_IF_PERMIT");
  EXPECT_EQ(config.server.socket_mode, 0666U);
  EXPECT_EQ(config.store.dbdir, "/var/lib/grayling");
  EXPECT_EQ(config.store.store_uri().describe(), "sqlite:/var/lib/grayling/grayling.db");
  EXPECT_FALSE(config.whitelist_clients.named);
}

TEST(Options, EverySettingIsRead) {
  const auto result =
      parse({"--inet=127.0.0.1:10023", "--inet", "[::1]:10024", "--unix=/run/g.sock", "--socketmode=0660",
             "--dbdir=/tmp/db", "--delay=1", "--max-age=7", "--retry-window=6h", "--lookup-by-host", "--ipv4cidr=16",
             "--ipv6cidr=48", "--greylist-action=DEFER", "--greylist-text=later %s", "--idle-timeout=30",
             "--max-connections=10", "-v"});
  ASSERT_TRUE(result.parsed.config) << result.err;
  const Config& config = *result.parsed.config;
  ASSERT_EQ(config.server.listeners.size(), 3U);
  EXPECT_EQ(config.server.listeners[1].describe(), "[::1]:10024");
  EXPECT_EQ(config.server.listeners[2].describe(), "unix:/run/g.sock");
  EXPECT_EQ(config.server.socket_mode, 0660U);
  EXPECT_EQ(config.engine.delay, 1);
  EXPECT_EQ(config.engine.max_age, 7 * 86400);
  EXPECT_EQ(config.engine.retry_window, 6 * 3600);
  EXPECT_TRUE(config.engine.keys.lookup_by_host);
  EXPECT_EQ(config.engine.keys.ipv4_prefix, 16);
  EXPECT_EQ(config.engine.keys.ipv6_prefix, 48);
  EXPECT_EQ(config.engine.greylist_action, "DEFER");
  EXPECT_EQ(config.engine.greylist_text, "later %s");
  EXPECT_EQ(config.server.idle_timeout_seconds, 30);
  EXPECT_EQ(config.server.max_connections, 10U);
  EXPECT_EQ(config.log.verbosity, 3);
}

TEST(Options, ZeroMeansDefaultWithANotice) {
  const auto result = parse({"--inet=10023", "--delay=0", "--max-age=0"});
  ASSERT_TRUE(result.parsed.config);
  EXPECT_EQ(result.parsed.config->engine.delay, 300);
  EXPECT_EQ(result.parsed.config->engine.max_age, 35 * 86400);
  EXPECT_EQ(result.parsed.config->notices.size(), 2U);
}

TEST(Options, ListenerIsRequired) {
  const auto result = parse({});
  EXPECT_FALSE(result.parsed.config);
  EXPECT_NE(result.parsed.exit_code, 0);
  EXPECT_NE(result.err.find("--unix or --inet must be specified"), std::string::npos);
}

TEST(Options, AllErrorsAreReportedTogether) {
  const auto result = parse({"--inet=nope", "--retry-window=2d", "--socketmode=999", "--ipv4cidr=40"});
  EXPECT_FALSE(result.parsed.config);
  EXPECT_EQ(result.parsed.exit_code, 2);
  EXPECT_NE(result.err.find("--inet=nope"), std::string::npos);
  EXPECT_NE(result.err.find("--retry-window=2d"), std::string::npos);
  EXPECT_NE(result.err.find("--socketmode=999"), std::string::npos);
  EXPECT_NE(result.err.find("--ipv4cidr=40"), std::string::npos);
}

TEST(Options, UnknownOptionFails) {
  const auto result = parse({"--inet=10023", "--frobnicate"});
  EXPECT_FALSE(result.parsed.config);
  EXPECT_NE(result.parsed.exit_code, 0);
}

TEST(Options, VersionAndHelp) {
  auto result = parse({"--version"});
  EXPECT_FALSE(result.parsed.config);
  EXPECT_EQ(result.parsed.exit_code, 0);
  EXPECT_EQ(result.out, "grayling " + std::string(kVersion) + "\n");
  result = parse({"--help"});
  EXPECT_EQ(result.parsed.exit_code, 0);
  EXPECT_NE(result.out.find("--greylist-text"), std::string::npos);
}

}  // namespace
}  // namespace grayling

namespace grayling {
namespace {

TEST(Options, AutoWhitelistOptionalValue) {
  EXPECT_EQ(parse({"--inet=1"}).parsed.config->engine.auto_whitelist_clients, 5);
  EXPECT_EQ(parse({"--inet=1", "--auto-whitelist-clients"}).parsed.config->engine.auto_whitelist_clients, 5);
  EXPECT_EQ(parse({"--inet=1", "--auto-whitelist-clients=3"}).parsed.config->engine.auto_whitelist_clients, 3);
  EXPECT_EQ(parse({"--inet=1", "--auto-whitelist-clients=0"}).parsed.config->engine.auto_whitelist_clients, 0);
}

TEST(Options, PostgreyOnlyOptionsAreAccepted) {
  const auto result = parse({"--inet=1", "-d", "--pidfile=/run/p.pid", "--user=nobody", "--group=nogroup",
                             "--syslogfacility=mail", "--exim", "--listen-queue-size=64", "--privacy",
                             "--hostname=mx.example", "--x-greylist-header=X-G: %t", "--lookup-by-subnet",
                             "--whitelist-clients=/a", "--whitelist-clients=/b", "--whitelist-recipients=/c"});
  ASSERT_TRUE(result.parsed.config) << result.err;
  const Config& config = *result.parsed.config;
  EXPECT_TRUE(config.server.close_after_reply);
  EXPECT_EQ(config.server.listen_backlog, 64);
  EXPECT_TRUE(config.engine.privacy);
  EXPECT_EQ(config.engine.hostname, "mx.example");
  EXPECT_EQ(config.engine.x_greylist_header, "X-G: %t");
  EXPECT_EQ(config.whitelist_clients.paths, (std::vector<std::string>{"/a", "/b"}));
  EXPECT_TRUE(config.whitelist_clients.named);
  EXPECT_EQ(config.whitelist_recipients.paths, (std::vector<std::string>{"/c"}));
  EXPECT_EQ(config.pidfile, "/run/p.pid");
  ASSERT_EQ(config.notices.size(), 1U);  // --daemonize
  EXPECT_NE(config.notices[0].find("--daemonize"), std::string::npos);
}

// Every number that reaches a clock or a buffer has bounds; a value past them is a clear
// error naming the option, never a silent overflow (--idle-timeout=99999999999 used to
// overflow the clock and close every connection at once).
struct OutOfRange {
  const char* argument;
  const char* message;
};

class OptionBounds : public ::testing::TestWithParam<OutOfRange> {};

TEST_P(OptionBounds, AreEnforcedWithAClearMessage) {
  const auto result = parse({"--inet=1", GetParam().argument});
  EXPECT_FALSE(result.parsed.config) << GetParam().argument << " was accepted";
  EXPECT_EQ(result.parsed.exit_code, 2);
  EXPECT_NE(result.err.find(GetParam().message), std::string::npos) << result.err;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, OptionBounds,
    ::testing::Values(
        OutOfRange{"--idle-timeout=99999999999", "--idle-timeout=99999999999: must be between 1 and 604800 seconds"},
        OutOfRange{"--idle-timeout=0", "--idle-timeout=0: must be between 1"},
        OutOfRange{"--idle-timeout=-5", "--idle-timeout=-5: must be between"},
        OutOfRange{"--expiry-interval=99999999999", "--expiry-interval=99999999999: must be between 1 and 2592000"},
        OutOfRange{"--store-timeout=99999999999", "--store-timeout=99999999999: must be between 10 and 600000"},
        OutOfRange{"--store-timeout=0", "--store-timeout=0: must be between 10"},
        OutOfRange{"--delay=99999999999", "--delay=99999999999: must be between"},
        OutOfRange{"--delay=-1", "--delay=-1: must be between"},
        OutOfRange{"--max-age=9223372036854775807", "--max-age=9223372036854775807: must be between 0 and 36500 days"},
        OutOfRange{"--retry-window=99999999999", "--retry-window=99999999999: expected N (days) or Nh"},
        OutOfRange{"--max-connections=0", "--max-connections=0: must be between 1 and 1000000"},
        OutOfRange{"--max-connections=-1", "--max-connections=-1: must be between"},
        OutOfRange{"--max-request-size=99999999999", "--max-request-size=99999999999: must be between 64"},
        OutOfRange{"--max-line-length=10", "--max-line-length=10: must be between 64"},
        OutOfRange{"--max-attributes=0", "--max-attributes=0: must be between 1"},
        OutOfRange{"--auto-whitelist-clients=-2", "--auto-whitelist-clients=-2: must be between 0"},
        OutOfRange{"--listen-queue-size=1000000", "--listen-queue-size=1000000: must be between 0 and 65535"},
        OutOfRange{"--ipv4cidr=-1", "--ipv4cidr=-1: must be between 0 and 32"},
        OutOfRange{"--ipv6cidr=129", "--ipv6cidr=129: must be between 0 and 128"},
        // Past int64 altogether: CLI11 refuses to convert, naming the option.
        OutOfRange{"--idle-timeout=99999999999999999999999", "--idle-timeout"}),
    [](const auto& info) { return "case" + std::to_string(info.index); });

TEST(Options, RequestLimitsMustNest) {
  const auto result = parse({"--inet=1", "--max-line-length=8192", "--max-request-size=4096"});
  EXPECT_FALSE(result.parsed.config);
  EXPECT_NE(result.err.find("--max-request-size=4096 is smaller than --max-line-length=8192"), std::string::npos)
      << result.err;
}

TEST(Options, StoreTimeoutAndStoreUri) {
  auto result = parse({"--inet=1", "--store-timeout=250", "--store=memory:"});
  ASSERT_TRUE(result.parsed.config) << result.err;
  EXPECT_EQ(result.parsed.config->store.timeout_ms, 250);
  EXPECT_EQ(result.parsed.config->store.store_uri().scheme, StoreUri::Scheme::memory);
  EXPECT_EQ(parse({"--inet=1"}).parsed.config->store.timeout_ms, 5000) << "the documented default";
  result = parse({"--inet=1", "--store=redis://x"});
  EXPECT_FALSE(result.parsed.config);
  EXPECT_NE(result.err.find("--store=redis://x: unknown store"), std::string::npos) << result.err;
}

TEST(Options, HostnameDefaultsToThisHost) {
  const auto result = parse({"--inet=1"});
  EXPECT_FALSE(result.parsed.config->engine.hostname.empty());
  EXPECT_EQ(result.parsed.config->engine.version, kVersion);
}

}  // namespace
}  // namespace grayling
