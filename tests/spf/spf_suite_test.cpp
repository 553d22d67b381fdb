// The openspf RFC 7208 conformance suite, every test a case of its own. The suite is read
// at run time from the shared reference directory beside the project (it is not ours to
// copy in): $GRAYLING_SPF_SUITE, or else the path CMake passes in. Without the file the
// cases are not there and SpfSuiteFile.IsPresent skips, unless GRAYLING_SPF_SUITE_REQUIRED=1
// makes that a failure. ctest learns the case names when the test is built (by listing
// them), so a GRAYLING_SPF_SUITE given to ctest must name a file with the same tests.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "grayling/spf/evaluate.hpp"
#include "suite_zone.hpp"

namespace grayling::spf::test {
namespace {

std::string suite_path() {
  const char* path = std::getenv("GRAYLING_SPF_SUITE");
  return path && *path ? path : GRAYLING_SPF_SUITE_DEFAULT;
}

bool suite_required() {
  const char* required = std::getenv("GRAYLING_SPF_SUITE_REQUIRED");
  return required && std::string(required) == "1";
}

struct SuiteCase {
  std::string name;  // for GoogleTest: scenario and test, letters, digits and '_' only
  std::string scenario;
  std::string test;
  std::shared_ptr<const SuiteZone> zone;
  std::string host;
  std::string mailfrom;
  std::string helo;
  std::vector<std::string> results;         // any of these will do; the first is preferred
  std::optional<std::string> explanation;  // "DEFAULT": none from exp=
};

void PrintTo(const SuiteCase& suite_case, std::ostream* out) { *out << suite_case.scenario << ": " << suite_case.test; }

// "MX mechanism syntax" -> "MxMechanismSyntax"; "helo-not-fqdn" -> "helo_not_fqdn".
std::string identifier(const std::string& text, bool camel) {
  std::string result;
  bool word_start = true;
  for (const char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      result.push_back(camel && word_start ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
                       : camel             ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
                                           : c);
      word_start = false;
    } else {
      if (!camel && !result.empty() && result.back() != '_') result.push_back('_');
      word_start = true;
    }
  }
  return result;
}

// Every test of every scenario; empty when the file is missing. Throws YAML::Exception
// when the file is there but unreadable as the suite.
std::vector<SuiteCase> load_suite(const std::string& path) {
  std::vector<SuiteCase> cases;
  if (!std::filesystem::exists(path)) return cases;
  std::set<std::string> names;
  for (const YAML::Node& scenario : YAML::LoadAllFromFile(path)) {
    const auto description = scenario["description"].as<std::string>();
    const auto zone = std::make_shared<const SuiteZone>(scenario["zonedata"]);
    for (const auto& test : scenario["tests"]) {
      SuiteCase suite_case;
      suite_case.scenario = description;
      suite_case.test = test.first.as<std::string>();
      suite_case.name = identifier(description, true) + "_" + identifier(suite_case.test, false);
      while (!names.insert(suite_case.name).second) suite_case.name += "_";
      suite_case.zone = zone;
      const YAML::Node& fields = test.second;
      suite_case.host = fields["host"].as<std::string>();
      suite_case.mailfrom = fields["mailfrom"].as<std::string>();
      suite_case.helo = fields["helo"].as<std::string>();
      if (fields["result"].IsSequence()) {
        suite_case.results = fields["result"].as<std::vector<std::string>>();
      } else {
        suite_case.results = {fields["result"].as<std::string>()};
      }
      if (fields["explanation"]) suite_case.explanation = fields["explanation"].as<std::string>();
      cases.push_back(std::move(suite_case));
    }
  }
  return cases;
}

// The cases GoogleTest instantiates; a broken file gives none (SpfSuiteFile reports why).
std::vector<SuiteCase> registered_cases() {
  try {
    return load_suite(suite_path());
  } catch (const std::exception&) {
    return {};
  }
}

class SpfSuite : public ::testing::TestWithParam<SuiteCase> {};

TEST_P(SpfSuite, GivesTheExpectedResult) {
  const SuiteCase& suite_case = GetParam();
  const auto client = IpAddress::parse(suite_case.host);
  ASSERT_TRUE(client) << suite_case.host;
  const Result result = evaluate_with([&](const DnsQuery& query) { return suite_case.zone->lookup(query); }, *client,
                                      suite_case.mailfrom, suite_case.helo);
  const std::string code(to_string(result.code));
  EXPECT_NE(std::find(suite_case.results.begin(), suite_case.results.end(), code), suite_case.results.end())
      << "result " << code << " (" << result.problem << "), expected " << ::testing::PrintToString(suite_case.results);
  if (code != suite_case.results.front()) {
    std::cout << "note: " << code << " is accepted, " << suite_case.results.front() << " preferred\n";
  }
  if (suite_case.explanation) {
    // "DEFAULT" stands for the checker's own explanation; ours is none.
    EXPECT_EQ(result.explanation, *suite_case.explanation == "DEFAULT" ? "" : *suite_case.explanation);
  }
}

INSTANTIATE_TEST_SUITE_P(Rfc7208, SpfSuite, ::testing::ValuesIn(registered_cases()),
                         [](const ::testing::TestParamInfo<SuiteCase>& info) { return info.param.name; });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SpfSuite);

TEST(SpfSuiteFile, IsPresent) {
  const std::string path = suite_path();
  if (!std::filesystem::exists(path)) {
    if (suite_required()) FAIL() << "GRAYLING_SPF_SUITE_REQUIRED is set, but " << path << " is missing";
    GTEST_SKIP() << path << " is missing";
  }
  std::vector<SuiteCase> cases;
  ASSERT_NO_THROW(cases = load_suite(path)) << path << " is not the openspf suite";
  EXPECT_FALSE(cases.empty());
  std::cout << "openspf suite: " << cases.size() << " tests in " << path << "\n";
}

}  // namespace
}  // namespace grayling::spf::test
