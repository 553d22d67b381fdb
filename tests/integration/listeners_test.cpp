// Listening: unix sockets (mode, stale files, a live owner), IPv4 and IPv6 loopback for a
// bare port, a port already taken, and no listener at all.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "daemon_fixture.hpp"

namespace grayling::test {
namespace {

class Listeners : public DaemonTest {};

/// Leaves a unix socket file behind with nobody listening, as a crashed daemon would.
void make_stale_socket(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof address.sun_path);
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0) << std::strerror(errno);
  ASSERT_EQ(::listen(fd, 1), 0);
  ::close(fd);  // the file stays
  struct stat info {};
  ASSERT_EQ(::lstat(path.c_str(), &info), 0);
  ASSERT_TRUE(S_ISSOCK(info.st_mode));
  std::string error;
  ASSERT_FALSE(PolicyClient::connect_unix(path, 1s, &error)) << "stale socket should refuse connections";
}

TEST_F(Listeners, UnixSocketHasTheRequestedModeAndReplacesAStaleFile) {
  const std::string path = dir_.file("grayling.sock");
  make_stale_socket(path);
  ASSERT_FALSE(HasFatalFailure());

  auto daemon = start({"--unix=" + path, "--socketmode=0640"});
  EXPECT_TRUE(daemon->wait_for_log("listening on unix:" + path));
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0) << std::strerror(errno);
  EXPECT_TRUE(S_ISSOCK(info.st_mode));
  EXPECT_EQ(info.st_mode & 07777, 0640u) << std::oct << (info.st_mode & 07777);

  auto client = connect_unix(path);
  EXPECT_EQ(client.ask(rcpt_request("192.0.2.100", "s@example.net", "r@unix.example")),
            greylist_reply("unix.example"));
  EXPECT_EQ(client.ask(policy_request({{"request", "smtpd_access_policy"}, {"protocol_state", "DATA"}})),
            kDunnoReply);

  daemon->send_signal(SIGTERM);
  const auto status = daemon->wait_exit(5s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->exited() && status->code() == 0) << status->describe();
  EXPECT_NE(::access(path.c_str(), F_OK), 0) << "the socket file should be removed on exit";
}

TEST_F(Listeners, UnixSocketOfALiveDaemonIsNotTaken) {
  const std::string path = dir_.file("grayling.sock");
  auto daemon = start({"--unix=" + path});
  auto second = spawn({"--dbdir=" + dir_.file("db2"), "--unix=" + path});
  const auto status = second->wait_exit(10s);
  ASSERT_TRUE(status) << "second daemon did not exit";
  EXPECT_TRUE(status->exited() && status->code() != 0) << status->describe();
  EXPECT_TRUE(second->wait_for_log("unix:" + path + ": another process is already listening there", 0ms))
      << second->log();
  // The first daemon still owns and serves its socket.
  EXPECT_EQ(connect_unix(path).ask(rcpt_request("192.0.2.101", "s@example.net", "r@unix.example")),
            greylist_reply("unix.example"));
}

TEST_F(Listeners, BarePortListensOnIpv4AndIpv6Loopback) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback on this machine";
  std::unique_ptr<DaemonProcess> daemon;
  std::uint16_t port = 0;
  for (int attempt = 0; attempt < 5 && !daemon; ++attempt) {
    port = free_tcp_port(/*also_ipv6=*/true);
    auto args = base_args();
    args.push_back("--inet=" + std::to_string(port));  // bare port: both loopbacks
    auto candidate = spawn(args);
    if (candidate->wait_ready(10s)) daemon = std::move(candidate);
  }
  ASSERT_TRUE(daemon) << "could not start on a free port";
  EXPECT_TRUE(daemon->wait_for_log("listening on 127.0.0.1:" + std::to_string(port) + "\n"));
  EXPECT_TRUE(daemon->wait_for_log("listening on [::1]:" + std::to_string(port) + "\n"));

  std::string error;
  auto v4 = PolicyClient::connect_tcp("127.0.0.1", port, 5s, &error);
  ASSERT_TRUE(v4) << error;
  auto v6 = PolicyClient::connect_tcp("::1", port, 5s, &error);
  ASSERT_TRUE(v6) << error;
  EXPECT_EQ(v4->ask(rcpt_request("192.0.2.110", "s@example.net", "r@v4.example")), greylist_reply("v4.example"));
  EXPECT_EQ(v6->ask(rcpt_request("2001:db8::1", "s@example.net", "r@v6.example")), greylist_reply("v6.example"));
  EXPECT_TRUE(daemon->wait_for_log("client_address=2001:db8::1/128"));
}

TEST_F(Listeners, PortInUseMakesTheSecondDaemonFail) {
  auto first = start_tcp();
  const std::string address = "127.0.0.1:" + std::to_string(port());
  auto second = spawn({"--dbdir=" + dir_.file("db2"), "--inet=" + address});
  const auto status = second->wait_exit(10s);
  ASSERT_TRUE(status) << "second daemon did not exit";
  EXPECT_TRUE(status->exited() && status->code() != 0) << status->describe();
  EXPECT_TRUE(second->wait_for_log("cannot listen on " + address + ": Address already in use", 0ms))
      << second->log();
  EXPECT_EQ(second->count_in_log(" ready: "), 0u);
  // The first is not disturbed.
  EXPECT_EQ(connect().ask(rcpt_request("192.0.2.120", "s@example.net", "r@busy.example")),
            greylist_reply("busy.example"));
}

TEST_F(Listeners, NoListenerIsAnError) {
  auto daemon = spawn({"--dbdir=" + dbdir()});
  const auto status = daemon->wait_exit(10s);
  ASSERT_TRUE(status) << "daemon without a listener did not exit";
  EXPECT_TRUE(status->exited() && status->code() != 0) << status->describe();
  EXPECT_TRUE(daemon->wait_for_log("--unix or --inet must be specified", 0ms)) << daemon->log();
}

}  // namespace
}  // namespace grayling::test

namespace grayling::test {
namespace {

// A bare --inet=PORT on a host without IPv6 loopback still starts, on 127.0.0.1, with a
// warning (postgrey fails there: docker-mailserver #569). The daemon runs in its own
// network namespace whose ::1 is disabled; skipped where namespaces are not allowed.
TEST(ListenersWithoutIpv6, BarePortFallsBackToIpv4WithAWarning) {
  TempDir dir("grayling-v6-");
  const std::string script =
      "ip link set lo up && sysctl -qw net.ipv6.conf.lo.disable_ipv6=1 && exec \"$0\" \"$@\"";
  std::vector<std::string> args{"-n", "sh", "-c", script, grayling_binary(), "--inet=10023",
                                "--dbdir=" + dir.file("db"), "--whitelist-clients=/dev/null",
                                "--whitelist-recipients=/dev/null"};
  DaemonProcess probe("/usr/bin/unshare", {"-n", "sh", "-c", "ip link set lo up && sysctl -qw net.ipv6.conf.lo.disable_ipv6=1"},
                      dir.file("probe.log"));
  const auto probed = probe.wait_exit(5s);
  if (!probed || !probed->exited() || probed->code() != 0) GTEST_SKIP() << "cannot create a network namespace here";

  DaemonProcess daemon("/usr/bin/unshare", args, dir.file("daemon.log"));
  ASSERT_TRUE(daemon.wait_for_log(" ready: ", 10s)) << daemon.log();
  EXPECT_TRUE(daemon.wait_for_log("not listening on [::1]:10023"));
  EXPECT_TRUE(daemon.wait_for_log("listening on 127.0.0.1:10023"));
}

}  // namespace
}  // namespace grayling::test
