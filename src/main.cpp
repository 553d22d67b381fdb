// grayling: a greylisting policy daemon for Postfix. main() only wires the command line to
// the daemon; the story lives in src/daemon/daemon.cpp.
#include <iostream>

#include "grayling/daemon.hpp"
#include "grayling/options.hpp"

int main(int argc, char** argv) {
  auto parsed = grayling::parse_options(argc, argv, std::cout, std::cerr);
  if (!parsed.config) return parsed.exit_code;
  return grayling::run_daemon(*parsed.config);
}
