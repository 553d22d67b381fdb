#pragma once
/// The command line: postgrey's option names and meanings, read into a Config.

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "grayling/config/config.hpp"

namespace grayling {

/// A Config to run with, or the exit code to end with now (--help, --version, errors).
struct ParsedOptions {
  std::optional<Config> config;
  int exit_code = 0;
};

/// Parses argv. Help and version go to `out`; every error goes to `err`, each on its own
/// line, before the function returns a non-zero exit code.
[[nodiscard]] ParsedOptions parse_options(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

/// The long name of every option (also the key for it in a --config file).
[[nodiscard]] std::vector<std::string> option_names();

}  // namespace grayling
