// The process around the service, as init systems and log pipes treat it: a sysvinit-style
// start as root with --user and --pidfile, and a log reader that goes away.
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "daemon_fixture.hpp"

namespace grayling::test {
namespace {

namespace fs = std::filesystem;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text;
}

class Lifecycle : public DaemonTest {
 protected:
  /// Starts as root with --user=nobody --pidfile=DIR/grayling.pid, DIR made with `mode`;
  /// checks the pid file while it runs, stops it and returns what is left of the file
  /// (nullopt: removed).
  std::optional<std::string> run_with_pidfile(fs::perms mode) {
    const passwd* nobody = ::getpwnam("nobody");
    open_to_other_users();
    const std::string run_dir = dir_.file("run");
    fs::create_directory(run_dir);
    fs::permissions(run_dir, mode);
    const std::string pidfile = run_dir + "/grayling.pid";

    auto daemon = start_tcp({"--user=nobody", "--pidfile=" + pidfile});
    EXPECT_EQ(read_file(pidfile), std::to_string(daemon->pid()) + "\n");
    struct stat info {};
    EXPECT_EQ(::stat(pidfile.c_str(), &info), 0);
    EXPECT_EQ(info.st_uid, nobody->pw_uid) << "the pid file is handed to the daemon's user";
    EXPECT_EQ(connect().ask(rcpt_request("192.0.2.80", "s@example.net", "r@pid.example")),
              greylist_reply("pid.example"));
    daemon->send_signal(SIGTERM);
    const auto status = daemon->wait_exit(10s);
    EXPECT_TRUE(status && status->exited() && status->code() == 0) << (status ? status->describe() : "running");
    if (!fs::exists(pidfile)) return std::nullopt;
    return read_file(pidfile);
  }
};

// Net::Server's order: the pid file is written as root, before privileges are dropped,
// so it may live in root's /run. Before, it was written as nobody and start-up failed.
TEST_F(Lifecycle, PidFileInARootOwnedDirectoryWithUser) {
  if (::geteuid() != 0 || ::getpwnam("nobody") == nullptr) GTEST_SKIP() << "needs root and a user nobody";
  const auto left = run_with_pidfile(fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                     fs::perms::others_read | fs::perms::others_exec);
  // nobody may not remove a file from root's 0755 directory; it empties it instead, so
  // the stale pid can never be mistaken for a live daemon.
  ASSERT_TRUE(left);
  EXPECT_EQ(*left, "");
}

TEST_F(Lifecycle, PidFileIsRemovedAtExitWhereTheUserMayRemoveIt) {
  if (::geteuid() != 0 || ::getpwnam("nobody") == nullptr) GTEST_SKIP() << "needs root and a user nobody";
  // A sticky world-writable directory, as /tmp: the file's owner (nobody) may remove it.
  const auto left = run_with_pidfile(fs::perms::all | fs::perms::sticky_bit);
  EXPECT_FALSE(left) << "left behind: '" << left.value_or("") << "'";
}

/// Reads from `fd` until `needle` has been seen or `timeout` passes.
bool read_until(int fd, const std::string& needle, std::chrono::milliseconds timeout) {
  std::string seen;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (seen.find(needle) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd ready{fd, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(left.count())) <= 0) continue;
    char chunk[4096];
    const ssize_t got = ::read(fd, chunk, sizeof chunk);
    if (got <= 0) return false;
    seen.append(chunk, static_cast<std::size_t>(got));
  }
  return true;
}

// stderr is a pipe whose reader dies (a pipe to logger, a container log driver): the
// daemon must keep serving. Before, the first log line after that killed it with SIGPIPE.
TEST_F(Lifecycle, ADeadLogReaderDoesNotKillTheDaemon) {
  int log_pipe[2];
  ASSERT_EQ(::pipe2(log_pipe, O_CLOEXEC), 0);
  std::vector<std::string> args = base_args();
  args.insert(args.begin(), grayling_binary());
  args.push_back("--inet=127.0.0.1:" + std::to_string(port()));
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::signal(SIGPIPE, SIG_DFL);  // as a shell or init would leave it
    ::dup2(log_pipe[1], STDOUT_FILENO);
    ::dup2(log_pipe[1], STDERR_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(log_pipe[1]);
  const bool ready = read_until(log_pipe[0], "ready", 10s);
  ::close(log_pipe[0]);  // the reader is gone
  auto kill_child = [pid] {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  };
  if (!ready) {
    kill_child();
    FAIL() << "the daemon did not get ready";
  }

  // Every decision writes a log line into the broken pipe; a reload writes several.
  for (int i = 0; i < 20; ++i) {
    auto client = connect();
    const std::string domain = "pipe" + std::to_string(i) + ".example";
    EXPECT_EQ(client.ask(rcpt_request("192.0.2.90", "s@example.net", "r@" + domain)), greylist_reply(domain)) << i;
    if (i == 10) ::kill(pid, SIGHUP);
    std::this_thread::sleep_for(20ms);
  }
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, WNOHANG), 0) << "the daemon died: " << ExitStatus{status}.describe();
  ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  pid_t ended = 0;
  while ((ended = ::waitpid(pid, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  if (ended != pid) kill_child();
  ASSERT_EQ(ended, pid) << "did not stop on SIGTERM";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << ExitStatus{status}.describe();
}

}  // namespace
}  // namespace grayling::test
