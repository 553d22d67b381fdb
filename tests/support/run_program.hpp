#pragma once
/// Runs a program to completion, as an administrator would from a shell: for tests of
/// command-line tools (grayling-admin).

#include <chrono>
#include <string>
#include <vector>

namespace grayling::test {

struct ProgramRun {
  int exit_code = -1;  // -1: killed by a signal or by the timeout
  bool timed_out = false;
  std::string out;     // standard output
  std::string err;     // standard error
  /// "exit N" with the error output, for assertion messages.
  [[nodiscard]] std::string describe() const;
};

/// Runs `argv` (argv[0] a path) with `input` on its standard input (a file the run writes
/// first; empty: /dev/null) and its output captured. Killed after `timeout`.
ProgramRun run_program(const std::vector<std::string>& argv, const std::string& input = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace grayling::test
