// grayling: a greylisting policy daemon for Postfix. main() only wires the command line to
// the daemon; the story lives in src/daemon/daemon.cpp.
#include <iostream>
#include <sstream>

#include "grayling/daemon/daemon.hpp"
#include "grayling/config/options.hpp"

int main(int argc, char** argv) {
  auto parsed = grayling::parse_options(argc, argv, std::cout, std::cerr);
  if (!parsed.config) return parsed.exit_code;
  // SIGHUP reads the same command line (and its --config file) again.
  auto reread = [argc, argv](std::string& errors) {
    std::ostringstream out, err;
    auto again = grayling::parse_options(argc, argv, out, err);
    errors = err.str();
    return again.config;
  };
  return grayling::run_daemon(*parsed.config, reread);
}
