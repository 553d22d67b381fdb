// etc/grayling.conf documents every option, and every key in it is a real option.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "grayling/config/options.hpp"

namespace grayling {
namespace {

std::set<std::string> documented_keys() {
  std::ifstream file(GRAYLING_SOURCE_DIR "/etc/grayling.conf");
  EXPECT_TRUE(file) << "etc/grayling.conf missing";
  std::set<std::string> keys;
  const std::regex key_line(R"(^#?\s?([a-z][a-z0-9-]*)\s*=)");
  std::string line;
  while (std::getline(file, line)) {
    std::smatch match;
    if (std::regex_search(line, match, key_line)) keys.insert(match[1]);
  }
  return keys;
}

TEST(ConfigFile, DocumentsEveryOptionAndNothingElse) {
  const std::set<std::string> command_line_only{"version", "man", "config"};
  std::set<std::string> options;
  for (const auto& name : option_names()) {
    if (!command_line_only.count(name)) options.insert(name);
  }
  const auto keys = documented_keys();
  for (const auto& name : options) EXPECT_TRUE(keys.count(name)) << "not documented in etc/grayling.conf: " << name;
  for (const auto& key : keys) EXPECT_TRUE(options.count(key)) << "etc/grayling.conf documents unknown key: " << key;
}

TEST(ConfigFile, ShippedFileParses) {
  const std::string path = GRAYLING_SOURCE_DIR "/etc/grayling.conf";
  std::vector<const char*> argv{"grayling", "--inet=10023", "--config", path.c_str()};
  std::ostringstream out, err;
  const auto parsed = parse_options(static_cast<int>(argv.size()), argv.data(), out, err);
  ASSERT_TRUE(parsed.config) << err.str();
  EXPECT_EQ(parsed.config->engine.delay, 300);
}

TEST(ConfigFile, FileValuesApplyAndTheCommandLineWins) {
  const std::string path = testing::TempDir() + "grayling-test.conf";
  std::ofstream(path) << "inet = \"10023\"\ndelay = 42\nmax-age = 7\nlookup-by-host = true\n"
                         "whitelist-clients = [\"/a\", \"/b\"]\ngreylist-text = \"wait %s\"\n";
  std::vector<const char*> argv{"grayling", "--config", path.c_str(), "--delay=9"};
  std::ostringstream out, err;
  const auto parsed = parse_options(static_cast<int>(argv.size()), argv.data(), out, err);
  ASSERT_TRUE(parsed.config) << err.str();
  EXPECT_EQ(parsed.config->engine.delay, 9);
  EXPECT_EQ(parsed.config->engine.max_age, 7 * 86400);
  EXPECT_TRUE(parsed.config->engine.keys.lookup_by_host);
  EXPECT_EQ(parsed.config->engine.greylist_text, "wait %s");
  EXPECT_EQ(parsed.config->whitelist_clients.paths, (std::vector<std::string>{"/a", "/b"}));
  EXPECT_TRUE(parsed.config->whitelist_clients.named) << "named in the config file: must be readable";
  EXPECT_EQ(parsed.config->server.listeners.size(), 2U);
  EXPECT_EQ(parsed.config->config_file, path);
}

TEST(ConfigFile, UnknownKeyOrMissingFileFails) {
  const std::string path = testing::TempDir() + "grayling-bad.conf";
  std::ofstream(path) << "inet = 10023\nno-such-option = 1\n";
  for (const std::string& file : {path, std::string("/nonexistent/grayling.conf")}) {
    std::vector<const char*> argv{"grayling", "--config", file.c_str()};
    std::ostringstream out, err;
    const auto parsed = parse_options(static_cast<int>(argv.size()), argv.data(), out, err);
    EXPECT_FALSE(parsed.config) << file;
    EXPECT_NE(parsed.exit_code, 0);
  }
}

}  // namespace
}  // namespace grayling
