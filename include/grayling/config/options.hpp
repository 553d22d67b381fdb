#pragma once
/// The command line: postgrey's option names and meanings, read into a Config.

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "grayling/config/config.hpp"

namespace CLI {
class App;
}

namespace grayling {

/// A Config to run with, or the exit code to end with now (--help, --version, errors).
struct ParsedOptions {
  std::optional<Config> config;
  int exit_code = 0;
};

/// Parses argv. Help and version go to `out`; every error goes to `err`, each on its own
/// line, before the function returns a non-zero exit code. `sockets_passed`: systemd
/// passed listening sockets, so --inet and --unix may be left out.
[[nodiscard]] ParsedOptions parse_options(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
                                          bool sockets_passed = false);

/// The daemon's options, and --config, on a CLI11 app: the daemon's own, or another
/// program's (grayling-admin), which then reads the same command line and config file and
/// so finds the same store and builds the same keys.
class DaemonOptions {
 public:
  /// Who reads them: the daemon must be told where to listen; a tool need not.
  enum class Reader { daemon, tool };
  /// Defines the options on `app`, which must outlive this object.
  explicit DaemonOptions(CLI::App& app, Reader reader = Reader::daemon);
  ~DaemonOptions();
  DaemonOptions(const DaemonOptions&) = delete;
  DaemonOptions& operator=(const DaemonOptions&) = delete;

  /// systemd passed listening sockets: the daemon may be given no --inet or --unix.
  void accept_passed_sockets();

  /// After app.parse(): --version or --man was given.
  [[nodiscard]] bool wants_version() const;
  [[nodiscard]] bool wants_help() const;
  /// After app.parse(): the validated Config, or nullopt once every error has gone to
  /// `err`, one per line, prefixed with `program`.
  [[nodiscard]] std::optional<Config> config(std::ostream& err, std::string_view program);

 private:
  struct State;
  std::unique_ptr<State> state_;
  CLI::App& app_;
};

/// argv[1..] as CLI11's App::parse(std::vector) takes them (reversed), with postgrey's one
/// optional value spelt out (a bare --auto-whitelist-clients means 5).
[[nodiscard]] std::vector<std::string> with_optional_values(int argc, const char* const* argv);

/// The long name of every option (also the key for it in a --config file).
[[nodiscard]] std::vector<std::string> option_names();

}  // namespace grayling
