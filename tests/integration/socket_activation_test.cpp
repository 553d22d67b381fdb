// Socket activation: grayling serving listening sockets that someone else (systemd, here
// the test, as systemd would) bound and keeps open across restarts. What it must do with
// them, what it must refuse, and the point of it all: a restart that refuses no connection.
#include <fcntl.h>
#include <netinet/in.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <system_error>

#include "daemon_fixture.hpp"
#include "support/restart_probe.hpp"

namespace grayling::test {
namespace {

class SocketActivation : public DaemonTest {
 protected:
  /// A daemon serving `sockets`, ready; throws if it does not get ready.
  std::unique_ptr<DaemonProcess> start_with(const std::vector<const HeldSocket*>& sockets,
                                            const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = base_args();
    args.insert(args.end(), extra.begin(), extra.end());
    auto daemon = spawn_with_sockets(args, sockets);
    if (!daemon->wait_ready(10s)) throw std::runtime_error("daemon did not get ready; log:\n" + daemon->log());
    return daemon;
  }

  /// Starts a daemon that must refuse what it was passed: exit 1, `message` in its log.
  void expect_refused(const std::vector<std::string>& env, const PassedFds& passed, const std::string& message,
                      const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = base_args();
    args.insert(args.end(), extra.begin(), extra.end());
    DaemonProcess daemon(grayling_binary(), args, next_log(), env, passed);
    const auto status = daemon.wait_exit(10s);
    ASSERT_TRUE(status) << "still running; log:\n" << daemon.log();
    EXPECT_TRUE(status->exited() && status->code() == 1) << status->describe() << "\n" << daemon.log();
    EXPECT_NE(daemon.log().find(message), std::string::npos) << daemon.log();
  }

  /// SIGTERM and a clean exit.
  static void stop(DaemonProcess& daemon) {
    daemon.send_signal(SIGTERM);
    const auto status = daemon.wait_exit(10s);
    ASSERT_TRUE(status) << "did not stop";
    EXPECT_TRUE(status->exited() && status->code() == 0) << status->describe();
  }

  /// Restarts the daemon `restarts` times while a probe sends requests on new connections,
  /// as a restarting service does: SIGTERM, wait for the exit, start the next (`start`).
  /// Returns what the probe met; `slowest_restart` is the longest from SIGTERM to the next
  /// daemon's "ready".
  RestartProbeResult restart_under_load(std::unique_ptr<DaemonProcess>& daemon, std::uint16_t port, int restarts,
                                        const std::function<std::unique_ptr<DaemonProcess>()>& start,
                                        std::chrono::milliseconds& slowest_restart) {
    RestartProbe probe("127.0.0.1", port);
    probe.start();
    const auto wait_for_answers = [&probe](std::size_t more) {
      const std::size_t target = probe.answered() + more;
      const auto deadline = std::chrono::steady_clock::now() + 10s;
      while (probe.answered() < target && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
      return probe.answered() >= target;
    };
    EXPECT_TRUE(wait_for_answers(20)) << "no traffic before the first restart";
    for (int i = 0; i < restarts; ++i) {
      const auto began = std::chrono::steady_clock::now();
      daemon->send_signal(SIGTERM);
      const auto status = daemon->wait_exit(10s);
      EXPECT_TRUE(status && status->exited() && status->code() == 0) << (status ? status->describe() : "no exit");
      daemon = start();
      slowest_restart = std::max(slowest_restart, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                      std::chrono::steady_clock::now() - began));
      EXPECT_TRUE(wait_for_answers(20)) << "no answers after restart " << i + 1;
    }
    return probe.stop();
  }

  /// Every key in the database, one per line, from grayling-admin.
  std::string stored_keys() {
    const ProgramRun listed = run_admin({"list"});
    EXPECT_EQ(listed.exit_code, 0) << listed.describe();
    return listed.out;
  }
};

TEST_F(SocketActivation, ServesTheTcpAndUnixSocketsItIsPassedAndLeavesThemOpen) {
  const HeldSocket tcp = HeldSocket::tcp("127.0.0.1", 0, "grayling.socket");
  const std::string path = dir_.file("policy.sock");
  const HeldSocket local = HeldSocket::unix_stream(path, "spool");
  auto daemon = start_with({&tcp, &local});  // no --inet, no --unix
  const std::string port = std::to_string(tcp.port());
  EXPECT_TRUE(daemon->wait_for_log("listening on 127.0.0.1:" + port + " (socket from systemd: grayling.socket)", 0ms));
  EXPECT_TRUE(daemon->wait_for_log("listening on unix:" + path + " (socket from systemd: spool)", 0ms));

  auto over_tcp = PolicyClient::connect_tcp("127.0.0.1", tcp.port());
  ASSERT_TRUE(over_tcp);
  EXPECT_EQ(over_tcp->ask(rcpt_request("192.0.2.1", "a@example.net", "r@tcp.example")), greylist_reply("tcp.example"));
  EXPECT_EQ(connect_unix(path).ask(rcpt_request("192.0.2.2", "a@example.net", "r@unix.example")),
            greylist_reply("unix.example"));
  stop(*daemon);
  EXPECT_TRUE(daemon->wait_for_log("leaving the 2 sockets from systemd open", 0ms)) << daemon->log();

  // Nothing of systemd's was removed or closed: the unix socket file is there with its
  // mode, and a connection made now waits in the backlog for the next daemon.
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0) << "the socket file was removed: " << std::strerror(errno);
  EXPECT_EQ(info.st_mode & 07777, 0666u);
  std::string error;
  auto waiting = PolicyClient::connect_tcp("127.0.0.1", tcp.port(), 2s, &error);
  ASSERT_TRUE(waiting) << "refused while grayling was down: " << error;
  ASSERT_TRUE(waiting->send(rcpt_request("192.0.2.1", "a@example.net", "r2@tcp.example")));
  auto waiting_unix = PolicyClient::connect_unix(path, 2s, &error);
  ASSERT_TRUE(waiting_unix) << "unix socket refused while grayling was down: " << error;
  ASSERT_TRUE(waiting_unix->send(rcpt_request("192.0.2.2", "a@example.net", "r2@unix.example")));

  auto next = start_with({&tcp, &local});
  EXPECT_EQ(waiting->read_reply(10s), greylist_reply("tcp.example"));
  EXPECT_EQ(waiting_unix->read_reply(10s), greylist_reply("unix.example"));
  stop(*next);
}

TEST_F(SocketActivation, OptionsNamingThePassedSocketsUseThem) {
  // A bare --inet=PORT means 127.0.0.1 and ::1, as grayling.socket's two ListenStream= do.
  const HeldSocket v4 = HeldSocket::tcp("127.0.0.1", 0);
  std::vector<const HeldSocket*> sockets{&v4};
  std::optional<HeldSocket> v6;
  if (ipv6_loopback_available()) {
    v6 = HeldSocket::tcp("::1", v4.port());
    sockets.push_back(&*v6);
  }
  const std::string port = std::to_string(v4.port());
  auto daemon = start_with(sockets, {"--inet=" + port});
  EXPECT_TRUE(daemon->wait_for_log("listening on 127.0.0.1:" + port + " (socket from systemd", 0ms));
  if (v6) {
    EXPECT_TRUE(daemon->wait_for_log("listening on [::1]:" + port + " (socket from systemd", 0ms));
    EXPECT_EQ(daemon->count_in_log("not among the sockets systemd passed"), 0u) << daemon->log();
    auto client = PolicyClient::connect_tcp("::1", v4.port());
    ASSERT_TRUE(client);
    EXPECT_EQ(client->ask(rcpt_request("2001:db8::1", "a@example.net", "r@v6.example")), greylist_reply("v6.example"));
  }
  auto client = PolicyClient::connect_tcp("127.0.0.1", v4.port());
  ASSERT_TRUE(client);
  EXPECT_EQ(client->ask(rcpt_request("192.0.2.1", "a@example.net", "r@v4.example")), greylist_reply("v4.example"));
  stop(*daemon);
}

// `ListenStream=10023` (no address): systemd binds [::] for both families, and IPv4 peers
// arrive as ::ffff:a.b.c.d. --allow-from=127.0.0.1 must let 127.0.0.1 in (Postfix got 451
// for every message when it did not), and keep 127.0.0.2 out. A client_address in that
// form is the IPv4 client it stands for: keyed, whitelisted and logged as one.
TEST_F(SocketActivation, ADualStackSocketTakesIpv4PeersAndClientsAsIpv4) {
  std::optional<HeldSocket> any;
  try {
    any = HeldSocket::tcp_dual_stack();
  } catch (const std::system_error& e) {
    GTEST_SKIP() << "no IPv6 sockets here: " << e.what();
  }
  const std::string whitelist = dir_.file("whitelist_clients");
  std::ofstream(whitelist) << "198.51.100.0/24\n";
  auto daemon =
      start_with({&*any}, {"--allow-from=127.0.0.1", "--delay=1", "--whitelist-clients=" + whitelist});
  EXPECT_TRUE(daemon->wait_for_log("listening on [::]:" + std::to_string(any->port()) + " (socket from systemd", 0ms));

  auto client = PolicyClient::connect_tcp("127.0.0.1", any->port());
  ASSERT_TRUE(client);
  align_to_second();
  const auto first = std::chrono::system_clock::now();
  EXPECT_EQ(client->ask(rcpt_request("::ffff:192.0.2.1", "a@example.net", "r@dual.example")),
            greylist_reply("dual.example"))
      << daemon->log();
  EXPECT_TRUE(daemon->wait_for_log("client_address=192.0.2.1/32, sender=a@example.net, recipient=r@dual.example"));
  EXPECT_EQ(client->ask(rcpt_request("::ffff:198.51.100.5", "a@example.net", "r@dual.example")), kDunnoReply);
  EXPECT_TRUE(daemon->wait_for_log("action=pass, reason=client whitelist, client_name=mail.example.net, "
                                   "client_address=198.51.100.5/32"));
  // The retry comes as Postfix usually sends IPv4, from another host of the /24: the same triplet.
  sleep_until(first, 1100ms);
  EXPECT_TRUE(IsFirstPass(client->ask(rcpt_request("192.0.2.9", "a@example.net", "r@dual.example")), 1));
  EXPECT_EQ(daemon->count_in_log("refusing connection"), 0u) << daemon->log();

  auto outsider = PolicyClient::connect_tcp_from("127.0.0.2", "127.0.0.1", any->port());
  ASSERT_TRUE(outsider);
  EXPECT_TRUE(outsider->wait_closed());
  EXPECT_TRUE(daemon->wait_for_log("refusing connection from 127.0.0.2:")) << daemon->log();
  stop(*daemon);
}

TEST_F(SocketActivation, AnOptionNoPassedSocketMatchesIsBoundByGraylingWithAWarning) {
  const std::string path = dir_.file("policy.sock");
  const HeldSocket local = HeldSocket::unix_stream(path);
  auto daemon = start_with({&local}, {"--unix=" + path, "--inet=127.0.0.1:" + std::to_string(port())});
  EXPECT_TRUE(daemon->wait_for_log("listening on unix:" + path + " (socket from systemd", 0ms));
  EXPECT_TRUE(daemon->wait_for_log("127.0.0.1:" + std::to_string(port()) +
                                       " is not among the sockets systemd passed: grayling binds it itself",
                                   0ms));
  EXPECT_EQ(connect().ask(rcpt_request("192.0.2.1", "a@example.net", "r@bound.example")),
            greylist_reply("bound.example"));
  EXPECT_EQ(connect_unix(path).ask(rcpt_request("192.0.2.1", "a@example.net", "r@passed.example")),
            greylist_reply("passed.example"));
  stop(*daemon);
}

TEST_F(SocketActivation, APassedSocketNoOptionNamesIsAClearError) {
  const HeldSocket tcp = HeldSocket::tcp("127.0.0.1", 0, "grayling.socket");
  const std::uint16_t other = tcp.port() == 65535 ? 65534 : tcp.port() + 1;
  PassedFds passed{{tcp.fd()}, true};
  expect_refused(listen_fds_environment({&tcp}), passed,
                 "systemd passed 127.0.0.1:" + std::to_string(tcp.port()) +
                     " (fd 3, grayling.socket) that no --inet or --unix option names",
                 {"--inet=127.0.0.1:" + std::to_string(other)});
}

TEST_F(SocketActivation, ForeignDescriptorsAreAClearErrorAndNoCrash) {
  const auto refused_with = [this](int fd, const std::string& message) {
    const HeldSocket held = HeldSocket::adopt(fd, "grayling.socket");
    SCOPED_TRACE(message);
    expect_refused(listen_fds_environment({&held}), PassedFds{{held.fd()}, true}, message);
  };
  refused_with(::open(dir_.file("plain-file").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600),
               "socket passed by systemd as fd 3 (grayling.socket): not a socket");
  const int udp = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  refused_with(udp, "fd 3 (grayling.socket): a datagram socket (ListenDatagram=)");
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  ::close(pair[1]);
  refused_with(pair[0], "fd 3 (grayling.socket): an unnamed unix socket");
  refused_with(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE),
               "fd 3 (grayling.socket): not a stream socket");

  // One connection, as Accept=yes would pass: a connected socket, not a listening one.
  const HeldSocket listener = HeldSocket::tcp("127.0.0.1", 0);
  auto connection = PolicyClient::connect_tcp("127.0.0.1", listener.port());
  ASSERT_TRUE(connection);
  const int connected = ::fcntl(connection->fd(), F_DUPFD_CLOEXEC, 3);
  refused_with(connected, "is not listening (one connection, as Accept=yes passes?");

  // Fewer descriptors than announced: fd 4 is not open in the daemon.
  const HeldSocket tcp = HeldSocket::tcp("127.0.0.1", 0);
  expect_refused({"LISTEN_FDS=2", "LISTEN_FDNAMES=grayling.socket:extra"}, PassedFds{{tcp.fd()}, true},
                 "socket passed by systemd as fd 4 (extra): not an open descriptor");
  expect_refused({"LISTEN_FDS=2", "LISTEN_FDNAMES=one"}, PassedFds{{tcp.fd()}, true},
                 "LISTEN_FDNAMES=one names 1 sockets, but LISTEN_FDS=2 passes 2");
  expect_refused({"LISTEN_FDS=three"}, PassedFds{{tcp.fd()}, true},
                 "cannot use the sockets systemd passed: LISTEN_FDS=three: expected the number of sockets passed");
}

TEST_F(SocketActivation, VariablesForAnotherProcessAreIgnoredWithAWarning) {
  // A LISTEN_PID of another process: the descriptors are not ours (sd_listen_fds(3)).
  const std::vector<std::string> env{"LISTEN_PID=1", "LISTEN_FDS=1"};
  std::vector<std::string> args = base_args();
  args.push_back("--inet=127.0.0.1:" + std::to_string(port()));
  auto daemon = spawn(args, env);
  ASSERT_TRUE(daemon->wait_ready()) << daemon->log();
  EXPECT_TRUE(daemon->wait_for_log("LISTEN_FDS is for process 1 (LISTEN_PID), not for this one", 0ms));
  EXPECT_EQ(connect().ask(rcpt_request("192.0.2.1", "a@example.net", "r@example.com")), greylist_reply("example.com"));
  stop(*daemon);

  // Without --inet or --unix, that leaves nothing to listen on: said, with the reason.
  args.pop_back();
  auto unlistening = spawn(args, env);
  const auto status = unlistening->wait_exit(10s);
  ASSERT_TRUE(status);
  EXPECT_NE(status->code(), 0) << status->describe();
  EXPECT_TRUE(unlistening->wait_for_log("--unix or --inet must be specified", 0ms)) << unlistening->log();
  EXPECT_TRUE(unlistening->wait_for_log("LISTEN_FDS is for process 1", 0ms)) << unlistening->log();
}

// The point of socket activation: Postfix never notices a restart. Three restarts while a
// client sends a request on a new connection in a loop: nothing refused, everything
// answered and stored, and no answer waits longer than the restart itself plus a second.
TEST_F(SocketActivation, RestartsRefuseNothingAndLoseNothing) {
  const HeldSocket tcp = HeldSocket::tcp("127.0.0.1", 0, "grayling.socket");
  auto daemon = start_with({&tcp});
  std::chrono::milliseconds slowest_restart{0};
  const RestartProbeResult result =
      restart_under_load(daemon, tcp.port(), 3, [&] { return start_with({&tcp}); }, slowest_restart);
  std::cout << "measured, socket activation: 3 restarts, slowest " << slowest_restart.count() << " ms; "
            << result.summary() << "\n";
  RecordProperty("restart_summary", result.summary());

  EXPECT_EQ(result.refused, 0u) << result.summary() << "; first: " << result.first_failure;
  EXPECT_EQ(result.unanswered, 0u) << result.summary() << "; first: " << result.first_failure;
  EXPECT_EQ(result.answered, result.requests) << result.summary();
  // A request the old daemon had read is answered before it exits; one it had not read
  // waits for the next. Only a connection cut between connect() and send() would need
  // Postfix's retry, which this client does as Postfix does; none is expected.
  EXPECT_EQ(result.retried, 0u) << result.summary() << "; first: " << result.first_failure;
  EXPECT_LE(result.longest, slowest_restart + 1s) << result.summary();

  stop(*daemon);
  const std::string keys = stored_keys();
  std::size_t missing = 0;
  for (const auto& recipient : result.recipients) {
    if (keys.find("/sender@probe.example/" + recipient + "\n") == std::string::npos) ++missing;
  }
  EXPECT_EQ(missing, 0u) << "answered triplets missing from the database, of " << result.recipients.size();
}

// The same restarts on a daemon that binds its own socket, as the plain service does: the
// comparison the README quotes. Connections are refused while no process listens.
TEST_F(SocketActivation, RestartsWithoutItRefuseConnections) {
  auto daemon = start_tcp();
  std::chrono::milliseconds slowest_restart{0};
  const RestartProbeResult result =
      restart_under_load(daemon, port(), 3, [&] { return start_tcp(); }, slowest_restart);
  std::cout << "measured, plain service: 3 restarts, slowest " << slowest_restart.count() << " ms; "
            << result.summary() << "\n";
  RecordProperty("restart_summary", result.summary());
  EXPECT_GT(result.refused, 0u) << "a restart without socket activation is expected to refuse: " << result.summary();
  EXPECT_GT(result.answered, 60u) << result.summary();
}

// The switch from the plain service to grayling.socket and back, as README and grayling(8)
// describe it, with the test as systemd. The order once documented (enable --now the socket
// while the service runs) cannot work: the running grayling holds the port, so the socket
// cannot bind it (systemd refuses even before trying: "Socket service grayling.service
// already active, refusing."). Stopping the service first, then starting the socket, then
// the service does, and the greylist survives. The way back has no such trap: grayling
// keeps serving its copy of the socket after systemd closes its own, and the restart that
// follows binds the freed port.
TEST_F(SocketActivation, SwitchingToTheSocketUnitAndBackInTheDocumentedOrder) {
  auto daemon = start_tcp({"--delay=1"});
  const std::string listen = "--inet=127.0.0.1:" + std::to_string(port());
  align_to_second();
  const auto first = std::chrono::system_clock::now();
  EXPECT_EQ(connect().ask(rcpt_request("192.0.2.1", "a@example.net", "r@switch.example")),
            greylist_reply("switch.example"));

  // The old order: the socket unit starts while the service still listens.
  try {
    const HeldSocket too_early = HeldSocket::tcp("127.0.0.1", port());
    ADD_FAILURE() << "bound 127.0.0.1:" << port() << " while grayling listened on it";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EADDRINUSE) << e.what();
  }

  // The documented order: stop the service, start the socket, start the service.
  stop(*daemon);
  std::optional<HeldSocket> held;
  ASSERT_NO_THROW(held.emplace(HeldSocket::tcp("127.0.0.1", port(), "grayling.socket")))
      << "the socket could not bind 127.0.0.1:" << port() << " after grayling stopped";
  daemon = start_with({&*held}, {"--delay=1", listen});
  EXPECT_TRUE(daemon->wait_for_log("listening on 127.0.0.1:" + std::to_string(port()) +
                                       " (socket from systemd: grayling.socket)",
                                   0ms))
      << daemon->log();
  sleep_until(first, 1100ms);
  EXPECT_TRUE(IsFirstPass(connect().ask(rcpt_request("192.0.2.1", "a@example.net", "r@switch.example"))))
      << "the triplet greylisted before the switch was not known after it";

  // And back: systemctl disable --now grayling.socket closes systemd's copy; grayling
  // still serves its own until systemctl restart grayling.service binds the port itself.
  held.reset();
  EXPECT_EQ(connect().ask(rcpt_request("198.51.100.2", "a@example.net", "r@switch.example")),
            greylist_reply("switch.example"));
  stop(*daemon);
  daemon = start_tcp({"--delay=1"});
  EXPECT_FALSE(daemon->wait_for_log("socket from systemd", 0ms)) << daemon->log();
  EXPECT_EQ(connect().ask(rcpt_request("192.0.2.1", "a@example.net", "r@switch.example")), kDunnoReply)
      << "the triplet that passed was not known after the way back";
  stop(*daemon);
}

TEST_F(SocketActivation, SystemdSocketActivateStartsGrayling) {
  const std::string tool = "/usr/bin/systemd-socket-activate";
  if (::access(tool.c_str(), X_OK) != 0) {
    if (std::getenv("GRAYLING_E2E_REQUIRED")) FAIL() << tool << " is missing (apt-get install systemd)";
    GTEST_SKIP() << tool << " is missing";
  }
  // systemd's own tool: it listens, and on the first connection execs grayling with the
  // socket and LISTEN_* set, as systemd would.
  std::vector<std::string> args{"--listen=127.0.0.1:" + std::to_string(port()), "--fdname=grayling.socket",
                                grayling_binary()};
  for (const auto& option : base_args()) args.push_back(option);
  auto activator = std::make_unique<DaemonProcess>(tool, args, next_log());
  ASSERT_TRUE(activator->wait_for_log("Listening on 127.0.0.1:" + std::to_string(port()), 5s)) << activator->log();

  auto client = PolicyClient::connect_tcp("127.0.0.1", port());
  ASSERT_TRUE(client);
  EXPECT_EQ(client->ask(rcpt_request("192.0.2.1", "a@example.net", "r@activated.example"), 15s),
            greylist_reply("activated.example"));
  EXPECT_TRUE(activator->wait_for_log("(socket from systemd: grayling.socket)", 0ms)) << activator->log();
  stop(*activator);  // the same process: systemd-socket-activate became grayling
}

}  // namespace
}  // namespace grayling::test
