// Hardening: the process around the policy service. Dropping root to --user, a
// listener reachable from the network (warned about; --allow-from filters peers), and
// the systemd readiness protocol (READY=1 only once the port accepts connections,
// RELOADING=1/READY=1 on SIGHUP, STOPPING=1 on SIGTERM).
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "daemon_fixture.hpp"

namespace grayling::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::system_clock;

class HardeningProcess : public DaemonTest {
 protected:
  /// Starts a daemon with base_args(), `--inet=<host>:<free port>` and `extra` and waits
  /// for "ready", picking another port if this one was taken meanwhile.
  std::unique_ptr<DaemonProcess> start_on(const std::string& host, const std::vector<std::string>& extra,
                                          std::uint16_t* port_out) {
    for (int attempt = 1;; ++attempt) {
      const std::uint16_t port = free_tcp_port();
      auto args = base_args();
      args.push_back("--inet=" + host + ":" + std::to_string(port));
      args.insert(args.end(), extra.begin(), extra.end());
      auto daemon = spawn(args);
      if (daemon->wait_ready(10s)) {
        *port_out = port;
        return daemon;
      }
      if (attempt < 5 && daemon->log().find("Address already in use") != std::string::npos) continue;
      throw std::runtime_error("daemon did not get ready; log:\n" + daemon->log());
    }
  }
};

/// Fields of the "Uid:" or "Gid:" line of /proc/PID/status (real, effective, saved, fs).
std::vector<long> proc_ids(pid_t pid, const std::string& key) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (!line.starts_with(key + ":")) continue;
    std::istringstream fields(line.substr(key.size() + 1));
    std::vector<long> ids;
    for (long id = 0; fields >> id;) ids.push_back(id);
    return ids;
  }
  return {};
}

// 9. Started as root with --user=nobody: runs as nobody, and what it creates is private.
TEST_F(HardeningProcess, RunsAsTheGivenUserWithPrivateFiles) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  const passwd* nobody = ::getpwnam("nobody");
  if (nobody == nullptr) GTEST_SKIP() << "no user nobody";
  const uid_t uid = nobody->pw_uid;
  const gid_t gid = nobody->pw_gid;
  open_to_other_users();
  ASSERT_FALSE(std::filesystem::exists(dbdir()));

  auto daemon = start_tcp({"--user=nobody", "--delay=1"});
  EXPECT_EQ(proc_ids(daemon->pid(), "Uid"), std::vector<long>(4, static_cast<long>(uid)));
  EXPECT_EQ(proc_ids(daemon->pid(), "Gid"), std::vector<long>(4, static_cast<long>(gid)));
  EXPECT_TRUE(daemon->wait_for_log("running as uid " + std::to_string(uid) + " gid " + std::to_string(gid), 0ms));

  auto client = connect();
  const std::string request = rcpt_request("192.0.2.240", "s@example.net", "r@nobody.example");
  align_to_second();
  const auto first = system_clock::now();
  EXPECT_EQ(client.ask(request), greylist_reply("nobody.example"));
  sleep_until(first, 1150ms);
  EXPECT_TRUE(IsFirstPass(client.ask(request), 1));

  struct stat info {};
  ASSERT_EQ(::stat(dbdir().c_str(), &info), 0) << std::strerror(errno);
  EXPECT_TRUE(S_ISDIR(info.st_mode));
  EXPECT_EQ(info.st_mode & 07777, 0700u) << std::oct << (info.st_mode & 07777);
  EXPECT_EQ(info.st_uid, uid);
  const std::string db = dbdir() + "/grayling.db";
  ASSERT_EQ(::stat(db.c_str(), &info), 0) << std::strerror(errno);
  EXPECT_EQ(info.st_mode & 07777, 0600u) << std::oct << (info.st_mode & 07777);
  EXPECT_EQ(info.st_uid, uid);
  // Every file in there (WAL, shared memory, lock) is the daemon's and private too.
  for (const auto& entry : std::filesystem::directory_iterator(dbdir())) {
    ASSERT_EQ(::stat(entry.path().c_str(), &info), 0);
    EXPECT_EQ(info.st_uid, uid) << entry.path().filename();
    EXPECT_EQ(info.st_mode & 077, 0u) << entry.path().filename() << " mode " << std::oct << (info.st_mode & 07777);
  }

  // As nobody it can still reload (the whitelists are re-read) and stop cleanly.
  const std::size_t mark = daemon->log().size();
  daemon->send_signal(SIGHUP);
  EXPECT_TRUE(daemon->wait_for_log("reload complete", 5s, mark));
  daemon->send_signal(SIGTERM);
  const auto status = daemon->wait_exit(5s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->exited() && status->code() == 0) << status->describe();
}

// 10. A listener on all interfaces is served but warned about.
TEST_F(HardeningProcess, NonLoopbackListenerIsWarnedAbout) {
  std::uint16_t port = 0;
  auto daemon = start_on("0.0.0.0", {}, &port);
  const std::string listener = "0.0.0.0:" + std::to_string(port);
  EXPECT_TRUE(daemon->wait_for_log("warning: " + listener + " is not a loopback address", 0ms)) << daemon->log();
  EXPECT_TRUE(daemon->wait_for_log("(consider --allow-from)", 0ms));
  EXPECT_TRUE(daemon->wait_for_log("listening on " + listener + " (not loopback: reachable from the network)", 0ms));
  std::string error;
  auto client = PolicyClient::connect_tcp("127.0.0.1", port, 5s, &error);
  ASSERT_TRUE(client) << error;
  EXPECT_EQ(client->ask(rcpt_request("192.0.2.241", "s@example.net", "r@any.example")), greylist_reply("any.example"));
}

// 10b. --allow-from: a peer outside it is closed without a reply; one inside is served.
TEST_F(HardeningProcess, AllowFromRefusesOtherPeers) {
  std::uint16_t port = 0;
  auto daemon = start_on("0.0.0.0", {"--allow-from=127.0.0.2/32"}, &port);
  EXPECT_TRUE(daemon->wait_for_log("0.0.0.0:" + std::to_string(port) + " is not a loopback address", 0ms));
  EXPECT_EQ(daemon->count_in_log("(consider --allow-from)"), 0u);

  std::string error;
  auto outsider = PolicyClient::connect_tcp("127.0.0.1", port, 5s, &error);
  ASSERT_TRUE(outsider) << error;
  const std::string outsider_peer = outsider->local_endpoint();
  outsider->send(rcpt_request("192.0.2.242", "s@example.net", "r@refused.example"));  // may fail: closed
  EXPECT_TRUE(outsider->wait_closed(5s)) << "connection from 127.0.0.1 not closed";
  EXPECT_EQ(outsider->pending(), "") << "a refused peer must get no reply";
  EXPECT_TRUE(daemon->wait_for_log("refusing connection from " + outsider_peer + ": not in --allow-from"));

  auto insider = PolicyClient::connect_tcp_from("127.0.0.2", "127.0.0.1", port, 5s, &error);
  ASSERT_TRUE(insider) << error;
  EXPECT_TRUE(insider->local_endpoint().starts_with("127.0.0.2:")) << insider->local_endpoint();
  EXPECT_EQ(insider->ask(rcpt_request("192.0.2.243", "s@example.net", "r@allowed.example")),
            greylist_reply("allowed.example"))
      << insider->error();
  EXPECT_TRUE(daemon->wait_for_log("recipient=r@allowed.example"));
  EXPECT_EQ(daemon->count_in_log("action=greylist"), 1u) << "the refused request must not have been decided";
}

/// The receiving end of $NOTIFY_SOCKET: a unix datagram socket bound in the test's directory.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof address.sun_path) throw std::runtime_error("notify socket path too long");
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error(std::string("bind: ") + std::strerror(errno));
    }
  }
  ~NotifySocket() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  /// The next datagram, or nullopt after `timeout`.
  std::optional<std::string> receive(std::chrono::milliseconds timeout) {
    pollfd entry{fd_, POLLIN, 0};
    if (::poll(&entry, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    char buffer[4096];
    const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
    if (got < 0) return std::nullopt;
    return std::string(buffer, static_cast<std::size_t>(got));
  }

  /// Datagrams until one contains `needle` (returned), all of them appended to *seen.
  std::optional<std::string> receive_until(const std::string& needle, std::chrono::milliseconds timeout,
                                           std::vector<std::string>* seen) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      auto message = receive(std::max(left, 1ms));
      if (!message) continue;
      seen->push_back(*message);
      if (message->find(needle) != std::string::npos) return message;
    }
    return std::nullopt;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

bool has_line(const std::string& message, const std::string& line) {
  std::istringstream lines(message);
  for (std::string each; std::getline(lines, each);) {
    if (each == line) return true;
  }
  return false;
}

// 11. systemd readiness: READY=1 only once the port takes connections; RELOADING=1 and
// READY=1 around a SIGHUP reload; STOPPING=1 on SIGTERM.
TEST_F(HardeningProcess, NotifiesSystemdOfReadinessReloadAndStop) {
  NotifySocket notify(dir_.file("notify.sock"));
  std::vector<std::string> seen;
  std::unique_ptr<DaemonProcess> daemon;
  std::uint16_t port = 0;
  for (int attempt = 1; attempt <= 5 && !daemon; ++attempt) {
    port = free_tcp_port();
    auto args = base_args();
    args.push_back("--inet=127.0.0.1:" + std::to_string(port));
    auto candidate = spawn(args, {"NOTIFY_SOCKET=" + dir_.file("notify.sock")});
    const auto ready = notify.receive_until("READY=1", 10s, &seen);
    if (ready) {
      // Right now, with nothing else waited for, the port must take a connection.
      std::string error;
      auto client = PolicyClient::connect_tcp("127.0.0.1", port, 1s, &error);
      ASSERT_TRUE(client) << "READY=1 was sent before the port accepted connections: " << error;
      EXPECT_EQ(client->ask(rcpt_request("192.0.2.250", "s@example.net", "r@ready.example")),
                greylist_reply("ready.example"));
      EXPECT_TRUE(has_line(*ready, "READY=1")) << *ready;
      daemon = std::move(candidate);
      break;
    }
    ASSERT_TRUE(candidate->wait_exit(2s)) << "no READY=1 within 10 s; log:\n" << candidate->log();
    ASSERT_NE(candidate->log().find("Address already in use"), std::string::npos) << candidate->log();
  }
  ASSERT_TRUE(daemon);
  EXPECT_TRUE(daemon->wait_for_log(" ready: "));
  ASSERT_EQ(seen.size(), 1u) << "unexpected notifications before READY=1: " << seen.front();

  // SIGHUP: RELOADING=1, then READY=1 once the reload is done.
  seen.clear();
  const std::size_t mark = daemon->log().size();
  daemon->send_signal(SIGHUP);
  const auto reloading = notify.receive(5s);
  ASSERT_TRUE(reloading) << "no notification after SIGHUP";
  EXPECT_TRUE(has_line(*reloading, "RELOADING=1")) << *reloading;
  const auto ready_again = notify.receive(5s);
  ASSERT_TRUE(ready_again) << "no READY=1 after the reload";
  EXPECT_TRUE(has_line(*ready_again, "READY=1")) << *ready_again;
  EXPECT_TRUE(daemon->wait_for_log("reload complete", 5s, mark));
  std::string error;
  auto after_reload = PolicyClient::connect_tcp("127.0.0.1", port, 5s, &error);
  ASSERT_TRUE(after_reload) << error;
  EXPECT_EQ(after_reload->ask(rcpt_request("192.0.2.251", "s@example.net", "r@reloaded.example")),
            greylist_reply("reloaded.example"));

  // SIGTERM: STOPPING=1, then a clean exit.
  daemon->send_signal(SIGTERM);
  const auto stopping = notify.receive(5s);
  ASSERT_TRUE(stopping) << "no notification after SIGTERM";
  EXPECT_TRUE(has_line(*stopping, "STOPPING=1")) << *stopping;
  const auto status = daemon->wait_exit(5s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->exited() && status->code() == 0) << status->describe();
  EXPECT_FALSE(notify.receive(200ms)) << "unexpected notification after STOPPING=1";
}

// 11b. A start-up that fails (here: the database directory cannot be created) must never
// tell systemd READY=1, or Postfix would be started against a dead policy service.
TEST_F(HardeningProcess, NoReadyNotificationWhenStartUpFails) {
  NotifySocket notify(dir_.file("notify.sock"));
  const std::string not_a_directory = dir_.file("plain-file");
  std::ofstream(not_a_directory) << "x\n";
  std::vector<std::string> args;
  for (auto& arg : base_args()) {
    if (!arg.starts_with("--dbdir=")) args.push_back(arg);
  }
  args.push_back("--dbdir=" + not_a_directory + "/db");
  args.push_back("--inet=127.0.0.1:" + std::to_string(free_tcp_port()));
  auto daemon = spawn(args, {"NOTIFY_SOCKET=" + dir_.file("notify.sock")});
  const auto status = daemon->wait_exit(10s);
  ASSERT_TRUE(status) << "daemon with an impossible --dbdir still running";
  EXPECT_TRUE(status->exited() && status->code() != 0) << status->describe();
  EXPECT_TRUE(daemon->wait_for_log("cannot create database directory", 0ms)) << daemon->log();
  std::vector<std::string> seen;
  EXPECT_FALSE(notify.receive_until("READY=1", 300ms, &seen)) << "READY=1 sent by a daemon that failed to start";
}

}  // namespace
}  // namespace grayling::test
