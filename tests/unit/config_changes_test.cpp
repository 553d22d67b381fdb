// Reload's comparison: every option either changes live or is reported as needing a
// restart, and the restart ones keep their running value.
#include "grayling/config/config_changes.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "grayling/config/options.hpp"
#include "parse_command_line.hpp"

namespace grayling {
namespace {

Config parse(std::vector<std::string> args) {
  auto outcome = test::parse_command_line(std::move(args));
  EXPECT_TRUE(outcome.parsed.config) << outcome.err;
  return outcome.parsed.config.value_or(Config{});
}

const std::vector<std::string> kBase{"--inet=10023"};

std::vector<ConfigChange> changes_with(const std::string& argument) {
  std::vector<std::string> fresh = kBase;
  fresh.push_back(argument);
  return compare_configs(parse(kBase), parse(fresh));
}

TEST(ConfigChanges, TheSameConfigurationChangesNothing) {
  EXPECT_TRUE(compare_configs(parse(kBase), parse(kBase)).empty());
}

TEST(ConfigChanges, LiveSettingsAreNamedAsLive) {
  EXPECT_EQ(changes_with("--no-action"), (std::vector<ConfigChange>{{"no-action", true}}));
  EXPECT_EQ(changes_with("--allow-from=127.0.0.1"), (std::vector<ConfigChange>{{"allow-from", true}}));
  EXPECT_EQ(changes_with("--store-error-action=tempfail"), (std::vector<ConfigChange>{{"store-error-action", true}}));
  EXPECT_EQ(changes_with("-q"), (std::vector<ConfigChange>{{"verbose/quiet", true}}));
  EXPECT_EQ(changes_with("--delay=60"), (std::vector<ConfigChange>{{"delay", true}}));
}

TEST(ConfigChanges, RestartSettingsAreNamedAndKept) {
  const Config running = parse(kBase);
  std::vector<std::string> args = kBase;
  for (const char* each : {"--inet=10024", "--dbdir=/elsewhere", "--user=nobody", "--pidfile=/run/x.pid",
                           "--exim"}) {
    args.emplace_back(each);
  }
  Config fresh = parse(args);
  const auto changes = compare_configs(running, fresh);
  std::map<std::string, bool> by_name;
  for (const auto& change : changes) by_name[change.field] = change.live;
  EXPECT_EQ(by_name, (std::map<std::string, bool>{
                         {"inet/unix", false}, {"dbdir", false}, {"user", false}, {"pidfile", false}, {"exim", true}}));

  const Config applied = keep_restart_settings(running, fresh);
  EXPECT_EQ(applied.server.listeners, running.server.listeners);
  EXPECT_EQ(applied.store.dbdir, running.store.dbdir);
  EXPECT_EQ(applied.user, running.user);
  EXPECT_EQ(applied.pidfile, running.pidfile);
  EXPECT_TRUE(applied.server.close_after_reply) << "live settings take the new value";
  // What is left differs only in live settings.
  for (const auto& change : compare_configs(running, applied)) EXPECT_TRUE(change.live) << change.field;
}

// Every option a config file can hold is either applied by a reload or reported as
// needing a restart: none may be silently ignored.
TEST(ConfigChanges, EveryOptionIsAccountedFor) {
  const std::map<std::string, std::string> changed_value{
      {"inet", "--inet=10024"},
      {"unix", "--unix=/run/g.sock"},
      {"socketmode", "--socketmode=0600"},
      {"dbdir", "--dbdir=/elsewhere"},
      {"store", "--store=memory:"},
      {"sync", "--sync=normal"},
      {"delay", "--delay=60"},
      {"max-age", "--max-age=10"},
      {"retry-window", "--retry-window=1"},
      {"lookup-by-host", "--lookup-by-host"},
      {"ipv4cidr", "--ipv4cidr=16"},
      {"ipv6cidr", "--ipv6cidr=48"},
      {"greylist-action", "--greylist-action=DEFER"},
      {"greylist-text", "--greylist-text=later"},
      {"store-error-action", "--store-error-action=tempfail"},
      {"store-timeout", "--store-timeout=100"},
      {"idle-timeout", "--idle-timeout=60"},
      {"max-connections", "--max-connections=10"},
      {"max-request-size", "--max-request-size=8192"},
      {"max-line-length", "--max-line-length=1024"},
      {"max-attributes", "--max-attributes=10"},
      {"expiry-interval", "--expiry-interval=60"},
      {"whitelist-clients", "--whitelist-clients=/a"},
      {"whitelist-recipients", "--whitelist-recipients=/b"},
      {"auto-whitelist-clients", "--auto-whitelist-clients=0"},
      {"awl-prefix", "--awl-prefix"},
      {"privacy", "--privacy"},
      {"x-greylist-header", "--x-greylist-header=X-G: %t"},
      {"hostname", "--hostname=other.example"},
      {"exim", "--exim"},
      {"listen-queue-size", "--listen-queue-size=16"},
      {"no-action", "--no-action"},
      {"allow-from", "--allow-from=127.0.0.1"},
      {"pidfile", "--pidfile=/run/g.pid"},
      {"user", "--user=nobody"},
      {"group", "--group=nogroup"},
      {"syslog", "--syslog"},
      {"syslog-facility", "--syslog-facility=local0"},
      {"verbose", "-v"},
      {"quiet", "-q"},
      {"spf-equivalence", "--spf-equivalence=off"},
      {"dns-server", "--dns-server=192.0.2.53"},
      {"dns-timeout", "--dns-timeout=700"},
      {"metrics", "--metrics=9125"},
      {"log-format", "--log-format=json"},
  };
  // Not settings: they act at once (--version, --man), choose the default
  // (--lookup-by-subnet), or are accepted and ignored (--daemonize).
  const std::set<std::string> not_settings{"version", "man", "lookup-by-subnet", "daemonize"};
  for (const auto& name : option_names()) {
    if (not_settings.count(name)) continue;
    auto found = changed_value.find(name);
    if (found == changed_value.end()) {
      ADD_FAILURE() << "--" << name << " has no case here: say whether a reload applies it";
      continue;
    }
    EXPECT_FALSE(changes_with(found->second).empty()) << found->second << " is ignored by a reload";
  }
}

}  // namespace
}  // namespace grayling
