// grayling: a greylisting policy daemon for Postfix. main() only wires the command line to
// the daemon; the story lives in src/daemon/daemon.cpp.
#include <iostream>
#include <sstream>

#include "grayling/config/options.hpp"
#include "grayling/daemon/daemon.hpp"
#include "grayling/daemon/listen_error.hpp"
#include "grayling/daemon/systemd_sockets.hpp"

int main(int argc, char** argv) {
  // Sockets systemd passed (grayling.socket) stand in for --inet and --unix. Read once, at
  // once: the variables are then unset, so nothing grayling starts takes the sockets.
  grayling::ListenFds passed;
  try {
    passed = grayling::take_listen_fds_from_environment();
  } catch (const grayling::ListenError& e) {
    std::cerr << "grayling: cannot use the sockets systemd passed: " << e.what() << '\n';
    return 1;
  }
  const bool sockets_passed = passed.count() > 0;
  auto parsed = grayling::parse_options(argc, argv, std::cout, std::cerr, sockets_passed);
  if (!parsed.config) {
    // "--unix or --inet must be specified" may be why: say what the sockets were for.
    if (parsed.exit_code != 0 && !passed.ignored.empty()) std::cerr << "grayling: " << passed.ignored << '\n';
    return parsed.exit_code;
  }
  // SIGHUP reads the same command line (and its --config file) again.
  auto reread = [argc, argv, sockets_passed](std::string& errors) {
    std::ostringstream out, err;
    auto again = grayling::parse_options(argc, argv, out, err, sockets_passed);
    errors = err.str();
    return again.config;
  };
  return grayling::run_daemon(*parsed.config, reread, passed);
}
