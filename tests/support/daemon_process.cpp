#include "support/daemon_process.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <sstream>
#include <system_error>
#include <thread>

namespace grayling::test {

bool ExitStatus::exited() const { return WIFEXITED(raw); }
int ExitStatus::code() const { return WIFEXITED(raw) ? WEXITSTATUS(raw) : -1; }
bool ExitStatus::signalled() const { return WIFSIGNALED(raw); }
int ExitStatus::signal() const { return WIFSIGNALED(raw) ? WTERMSIG(raw) : 0; }

std::string ExitStatus::describe() const {
  if (exited()) return "exit " + std::to_string(code());
  if (signalled()) return "signal " + std::to_string(signal()) + " (" + strsignal(signal()) + ")";
  return "wait status " + std::to_string(raw);
}

namespace {

/// Writes "LISTEN_PID=<pid>" into `entry` (room for it reserved): async-signal-safe.
void write_listen_pid(char* entry, pid_t pid) {
  static const char kName[] = "LISTEN_PID=";
  std::memcpy(entry, kName, sizeof kName - 1);
  char digits[24];
  std::size_t count = 0;
  auto value = static_cast<unsigned long>(pid);
  do {
    digits[count++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0);
  std::size_t length = sizeof kName - 1;
  while (count > 0) entry[length++] = digits[--count];
  entry[length] = '\0';
}

/// Puts `passed` at 3, 4, ... without losing one that already sits where another goes:
/// each is first copied above them all. Async-signal-safe.
void place_passed_fds(const std::vector<int>& passed) {
  const int count = static_cast<int>(passed.size());
  int copies[64];
  for (int i = 0; i < count && i < 64; ++i) copies[i] = ::fcntl(passed[static_cast<std::size_t>(i)], F_DUPFD, 3 + count);
  for (int i = 0; i < count && i < 64; ++i) ::dup2(copies[i], 3 + i);  // dup2 clears close-on-exec
}

}  // namespace

DaemonProcess::DaemonProcess(const std::string& binary, std::vector<std::string> args, std::string log_path,
                             const std::vector<std::string>& extra_env)
    : DaemonProcess(binary, std::move(args), std::move(log_path), extra_env, PassedFds{}) {}

DaemonProcess::DaemonProcess(const std::string& binary, std::vector<std::string> args, std::string log_path,
                             const std::vector<std::string>& extra_env, const PassedFds& passed)
    : log_path_(std::move(log_path)), args_(std::move(args)) {
  if (passed.fds.size() > 64) throw std::invalid_argument("DaemonProcess: at most 64 passed descriptors");
  // Everything the child needs is prepared before fork(): afterwards only
  // async-signal-safe calls are allowed.
  std::vector<std::string> strings;
  strings.push_back(binary);
  strings.insert(strings.end(), args_.begin(), args_.end());
  std::vector<char*> argv;
  for (auto& s : strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  // The child's environment: ours, minus the names `extra_env` sets, plus `extra_env`.
  std::vector<std::string> environment;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view current(*entry);
    const auto replaced = [&current](const std::string& extra) {
      const auto equals = extra.find('=');
      return equals != std::string::npos && current.starts_with(std::string_view(extra).substr(0, equals + 1));
    };
    if (std::none_of(extra_env.begin(), extra_env.end(), replaced)) environment.emplace_back(current);
  }
  environment.insert(environment.end(), extra_env.begin(), extra_env.end());
  if (passed.listen_pid) environment.emplace_back(48, '\0');  // filled in by the child
  std::vector<char*> envp;
  for (auto& s : environment) envp.push_back(s.data());
  envp.push_back(nullptr);

  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) throw std::system_error(errno, std::generic_category(), "open " + log_path_);
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) {
    ::close(log_fd);
    throw std::system_error(errno, std::generic_category(), "open /dev/null");
  }
  const pid_t parent = ::getpid();
  static const char kExecFailed[] = "grayling test support: exec failed, errno ";

  const pid_t pid = ::fork();
  if (pid < 0) {
    const int saved = errno;
    ::close(log_fd);
    ::close(null_fd);
    throw std::system_error(saved, std::generic_category(), "fork");
  }
  if (pid == 0) {
    // Child. Die with the test process, so a crashed test leaves no daemon behind.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    place_passed_fds(passed.fds);
    if (passed.listen_pid) write_listen_pid(envp[envp.size() - 2], ::getpid());
    // No other descriptor of the test (client sockets, other logs) may leak into the daemon.
    const long max_fd = ::sysconf(_SC_OPEN_MAX);
    const int first_closed = 3 + static_cast<int>(passed.fds.size());
    for (int fd = first_closed; fd < (max_fd > 0 && max_fd < 65536 ? max_fd : 1024); ++fd) ::close(fd);
    // Default signal dispositions and an empty mask, whatever the test runner left us.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::execve(argv[0], argv.data(), envp.data());
    // Report errno without anything that is not async-signal-safe.
    char message[sizeof kExecFailed + 16];
    std::size_t length = sizeof kExecFailed - 1;
    std::memcpy(message, kExecFailed, length);
    int error = errno;
    char digits[12];
    std::size_t count = 0;
    do {
      digits[count++] = static_cast<char>('0' + error % 10);
      error /= 10;
    } while (error > 0 && count < sizeof digits);
    while (count > 0) message[length++] = digits[--count];
    message[length++] = '\n';
    [[maybe_unused]] auto written = ::write(STDERR_FILENO, message, length);
    ::_exit(127);
  }
  ::close(log_fd);
  ::close(null_fd);
  pid_ = pid;
}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0 && !status_) {
    ::kill(pid_, SIGKILL);
    reap(true);
  }
}

bool DaemonProcess::reap(bool block) {
  if (status_) return true;
  int raw = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid_, &raw, block ? 0 : WNOHANG);
    if (done == pid_) {
      status_ = ExitStatus{raw};
      return true;
    }
    if (done < 0 && errno == EINTR) continue;
    return false;
  }
}

bool DaemonProcess::running() { return !reap(false); }

void DaemonProcess::send_signal(int signal_number) {
  if (running()) ::kill(pid_, signal_number);
}

std::optional<ExitStatus> DaemonProcess::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!reap(false)) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
  return status_;
}

std::string DaemonProcess::log() const {
  std::ifstream in(log_path_, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool DaemonProcess::wait_for_log(std::string_view needle, std::chrono::milliseconds timeout, std::size_t from) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    // Check "exited" before reading, so the last read sees everything it wrote.
    const bool exited = !running();
    const std::string text = log();
    if (text.size() > from && text.find(needle, from) != std::string::npos) return true;
    if (exited || std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

bool DaemonProcess::wait_for_count(std::string_view needle, std::size_t count, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const bool exited = !running();
    if (count_in_log(needle) >= count) return true;
    if (exited || std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

bool DaemonProcess::wait_ready(std::chrono::milliseconds timeout) { return wait_for_log(" ready: ", timeout); }

std::size_t DaemonProcess::count_in_log(std::string_view needle) const {
  const std::string text = log();
  std::size_t count = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

}  // namespace grayling::test
