#pragma once
// Runs parse_options() on a command line given as words, as the daemon's main() would.

#include <sstream>
#include <string>
#include <vector>

#include "grayling/config/options.hpp"

namespace grayling::test {

/// What parse_options() returned and printed.
struct ParseOutcome {
  ParsedOptions parsed;
  std::string out;
  std::string err;
};

/// parse_options() on "grayling ARGS...".
inline ParseOutcome parse_command_line(std::vector<std::string> args) {
  args.insert(args.begin(), "grayling");
  std::vector<const char*> argv;
  for (const auto& arg : args) argv.push_back(arg.c_str());
  std::ostringstream out, err;
  auto parsed = parse_options(static_cast<int>(argv.size()), argv.data(), out, err);
  return {std::move(parsed), out.str(), err.str()};
}

}  // namespace grayling::test
