#pragma once
/// The real daemon binary as a child process: started with arguments, its stderr (and
/// stdout) captured in a file, watched for log lines, signalled and reaped with timeouts.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace grayling::test {

using namespace std::chrono_literals;

/// How a child ended: a decoded waitpid() status.
struct ExitStatus {
  int raw = 0;

  [[nodiscard]] bool exited() const;          // ended by exit()/return from main
  [[nodiscard]] int code() const;             // exit code, if exited()
  [[nodiscard]] bool signalled() const;       // ended by a signal
  [[nodiscard]] int signal() const;           // that signal, if signalled()
  [[nodiscard]] std::string describe() const; // "exit 0", "signal 9 (Killed)"
};

/// Descriptors handed to a child as 3, 4, ... in this order, the way systemd passes a
/// socket unit's sockets; with `listen_pid`, LISTEN_PID is set to the child's own pid
/// (known only after fork(), so the caller cannot put it in the environment).
struct PassedFds {
  std::vector<int> fds;
  bool listen_pid = false;
};

class DaemonProcess {
 public:
  /// fork()s and exec()s `binary args...` at once, stdin from /dev/null, stdout and stderr
  /// into `log_path` (truncated). The child is SIGKILLed if the test process dies.
  /// Throws std::system_error if the fork or the log file fails; an exec failure shows
  /// up as exit code 127 with a message in the log. Construct it on the test's main
  /// thread: Linux delivers the parent-death signal when the forking *thread* ends.
  /// `extra_env` ("NAME=VALUE" entries) is added to the inherited environment, replacing
  /// variables of the same name.
  DaemonProcess(const std::string& binary, std::vector<std::string> args, std::string log_path,
                const std::vector<std::string>& extra_env = {});
  /// The same, with `passed` descriptors (which stay open here too).
  DaemonProcess(const std::string& binary, std::vector<std::string> args, std::string log_path,
                const std::vector<std::string>& extra_env, const PassedFds& passed);

  /// SIGKILLs the child if it is still running, and reaps it.
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] const std::string& log_path() const { return log_path_; }
  [[nodiscard]] const std::vector<std::string>& args() const { return args_; }

  /// Everything the child has logged so far.
  [[nodiscard]] std::string log() const;

  /// Waits until the log contains `needle` at or after byte `from`. False on timeout, or
  /// once the child has exited without logging it.
  bool wait_for_log(std::string_view needle, std::chrono::milliseconds timeout = 5s, std::size_t from = 0);

  /// Waits for the "ready" line that follows a successful start-up.
  bool wait_ready(std::chrono::milliseconds timeout = 10s);

  /// Waits until the log contains `needle` at least `count` times. False on timeout, or
  /// once the child has exited with fewer. (Decision lines are written after the reply
  /// they belong to, once per event-loop round: count them only after waiting.)
  bool wait_for_count(std::string_view needle, std::size_t count, std::chrono::milliseconds timeout = 5s);

  /// Number of (non-overlapping) occurrences of `needle` in the log.
  [[nodiscard]] std::size_t count_in_log(std::string_view needle) const;

  /// True while the child has not exited (reaps it if it has).
  bool running();

  /// Sends `signal_number` to the child if it is still running.
  void send_signal(int signal_number);

  /// Waits (bounded) for the child to exit. nullopt if it is still running at the deadline.
  std::optional<ExitStatus> wait_exit(std::chrono::milliseconds timeout = 10s);

  /// The exit status, once known.
  [[nodiscard]] const std::optional<ExitStatus>& exit_status() const { return status_; }

 private:
  bool reap(bool block);

  pid_t pid_ = -1;
  std::string log_path_;
  std::vector<std::string> args_;
  std::optional<ExitStatus> status_;
};

}  // namespace grayling::test
