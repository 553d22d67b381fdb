#include "grayling/options.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace grayling {
namespace {

struct Outcome {
  ParsedOptions parsed;
  std::string out;
  std::string err;
};

Outcome parse(std::vector<std::string> args) {
  args.insert(args.begin(), "grayling");
  std::vector<const char*> argv;
  for (const auto& arg : args) argv.push_back(arg.c_str());
  std::ostringstream out, err;
  auto parsed = parse_options(static_cast<int>(argv.size()), argv.data(), out, err);
  return {std::move(parsed), out.str(), err.str()};
}

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
  EXPECT_EQ(config.store.store_uri(), "sqlite:/var/lib/grayling/grayling.db");
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
  EXPECT_EQ(result.out, std::string("grayling ") + grayling_version() + "\n");
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
  EXPECT_EQ(config.whitelist_clients, (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(config.whitelist_recipients, (std::vector<std::string>{"/c"}));
  EXPECT_EQ(config.pidfile, "/run/p.pid");
  ASSERT_EQ(config.notices.size(), 1U);  // --daemonize
  EXPECT_NE(config.notices[0].find("--daemonize"), std::string::npos);
}

TEST(Options, HostnameDefaultsToThisHost) {
  const auto result = parse({"--inet=1"});
  EXPECT_FALSE(result.parsed.config->engine.hostname.empty());
  EXPECT_EQ(result.parsed.config->engine.version, grayling_version());
}

}  // namespace
}  // namespace grayling
