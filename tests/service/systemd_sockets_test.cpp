// systemd's socket-passing protocol: the LISTEN_* variables (pure), what a descriptor is
// (real sockets of every kind), and which passed socket serves which --inet/--unix (pure).
#include "grayling/daemon/systemd_sockets.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "grayling/daemon/listen_error.hpp"
#include "support/temp_dir.hpp"

namespace grayling {
namespace {

::testing::AssertionResult ThrowsListenError(const std::function<void()>& action, const std::string& message) {
  try {
    action();
  } catch (const ListenError& e) {
    if (std::string(e.what()).find(message) != std::string::npos) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "message was: " << e.what();
  }
  return ::testing::AssertionFailure() << "no ListenError";
}

TEST(ListenFds, NothingSetIsNothingPassed) {
  const ListenFds fds = parse_listen_fds(nullptr, nullptr, nullptr, 100);
  EXPECT_EQ(fds.count(), 0);
  EXPECT_TRUE(fds.ignored.empty());
}

TEST(ListenFds, NamesComeFromListenFdNamesOrAreUnknown) {
  const ListenFds named = parse_listen_fds("100", "2", "grayling.socket:spool", 100);
  EXPECT_EQ(named.names, (std::vector<std::string>{"grayling.socket", "spool"}));
  const ListenFds unnamed = parse_listen_fds("100", "2", nullptr, 100);
  EXPECT_EQ(unnamed.names, (std::vector<std::string>{"unknown", "unknown"}));
  EXPECT_EQ(parse_listen_fds("100", "1", "", 100).names, (std::vector<std::string>{""}));
  EXPECT_EQ(parse_listen_fds("100", "0", "", 100).count(), 0);
}

TEST(ListenFds, AnotherProcessesVariablesAreIgnoredAndSaidSo) {
  const ListenFds other = parse_listen_fds("99", "2", "a:b", 100);
  EXPECT_EQ(other.count(), 0);
  EXPECT_EQ(other.ignored, "LISTEN_FDS is for process 99 (LISTEN_PID), not for this one (100): ignored");
  const ListenFds no_pid = parse_listen_fds(nullptr, "1", nullptr, 100);
  EXPECT_EQ(no_pid.count(), 0);
  EXPECT_NE(no_pid.ignored.find("without LISTEN_PID"), std::string::npos);
  EXPECT_EQ(parse_listen_fds("99", nullptr, nullptr, 100).count(), 0);  // LISTEN_PID alone: nothing passed
}

TEST(ListenFds, MalformedValuesForUsAreErrors) {
  EXPECT_TRUE(ThrowsListenError([] { (void)parse_listen_fds("abc", "1", nullptr, 100); }, "LISTEN_PID=abc: not a process id"));
  EXPECT_TRUE(ThrowsListenError([] { (void)parse_listen_fds("0", "1", nullptr, 100); }, "LISTEN_PID=0"));
  for (const char* count : {"", "x", "-1", "1x", "1025", "99999999999999999999"}) {
    EXPECT_TRUE(ThrowsListenError([count] { (void)parse_listen_fds("100", count, nullptr, 100); },
                                  std::string("LISTEN_FDS=") + count + ": expected the number of sockets passed"))
        << count;
  }
  EXPECT_TRUE(ThrowsListenError([] { (void)parse_listen_fds("100", "2", "one", 100); },
                                "LISTEN_FDNAMES=one names 1 sockets, but LISTEN_FDS=2 passes 2"));
  EXPECT_TRUE(ThrowsListenError([] { (void)parse_listen_fds("100", "1", "a:b", 100); }, "names 2 sockets"));
}

/// A descriptor closed at the end of the test.
struct Fd {
  int fd;
  explicit Fd(int value) : fd(value) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

int listening_tcp(int family, const char* host) {
  const int fd = ::socket(family, SOCK_STREAM, 0);
  sockaddr_storage address{};
  socklen_t length = 0;
  if (family == AF_INET) {
    auto& v4 = reinterpret_cast<sockaddr_in&>(address);
    v4.sin_family = AF_INET;
    ::inet_pton(AF_INET, host, &v4.sin_addr);
    length = sizeof v4;
  } else {
    auto& v6 = reinterpret_cast<sockaddr_in6&>(address);
    v6.sin6_family = AF_INET6;
    ::inet_pton(AF_INET6, host, &v6.sin6_addr);
    length = sizeof v6;
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(fd, 8) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::uint16_t port_of(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.ss_family == AF_INET ? reinterpret_cast<sockaddr_in&>(address).sin_port
                                            : reinterpret_cast<sockaddr_in6&>(address).sin6_port);
}

TEST(InheritedSocket, ListeningTcpSocketsAreIdentifiedByAddressAndMadeCloseOnExec) {
  const Fd v4(listening_tcp(AF_INET, "127.0.0.1"));
  ASSERT_GE(v4.fd, 0);
  const InheritedSocket socket = identify_inherited_socket(v4.fd, "grayling.socket");
  EXPECT_EQ(socket.endpoint.kind, ListenEndpoint::Kind::tcp);
  EXPECT_EQ(socket.endpoint.host, "127.0.0.1");
  EXPECT_EQ(socket.endpoint.port, port_of(v4.fd));
  EXPECT_EQ(socket.describe(), "127.0.0.1:" + std::to_string(port_of(v4.fd)) + " (fd " + std::to_string(v4.fd) +
                                   ", grayling.socket)");
  EXPECT_TRUE(::fcntl(v4.fd, F_GETFD) & FD_CLOEXEC);

  const Fd v6(listening_tcp(AF_INET6, "::1"));
  if (v6.fd < 0) GTEST_SKIP() << "no IPv6 loopback";
  const InheritedSocket six = identify_inherited_socket(v6.fd, "x");
  EXPECT_EQ(six.endpoint.host, "::1");
  EXPECT_EQ(six.endpoint.describe(), "[::1]:" + std::to_string(port_of(v6.fd)));
}

TEST(InheritedSocket, UnixSocketsNamedAndAbstract) {
  test::TempDir dir("grayling-sd-");
  const std::string path = dir.file("policy.sock");
  const Fd named(::socket(AF_UNIX, SOCK_STREAM, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(::bind(named.fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(named.fd, 8), 0);
  const InheritedSocket socket = identify_inherited_socket(named.fd, "spool");
  EXPECT_EQ(socket.endpoint.kind, ListenEndpoint::Kind::unix_socket);
  EXPECT_EQ(socket.endpoint.path, path);

  const Fd abstract(::socket(AF_UNIX, SOCK_STREAM, 0));
  sockaddr_un hidden{};
  hidden.sun_family = AF_UNIX;
  const std::string name = "grayling-test-" + std::to_string(::getpid());
  std::memcpy(hidden.sun_path + 1, name.data(), name.size());
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  ASSERT_EQ(::bind(abstract.fd, reinterpret_cast<sockaddr*>(&hidden), length), 0);
  ASSERT_EQ(::listen(abstract.fd, 8), 0);
  EXPECT_EQ(identify_inherited_socket(abstract.fd, "a").endpoint.path, "@" + name);
}

TEST(InheritedSocket, WhatIsNotAListeningStreamSocketIsRefusedWithItsReason) {
  test::TempDir dir("grayling-sd-");
  const Fd file(::open(dir.file("plain").c_str(), O_RDWR | O_CREAT, 0600));
  EXPECT_TRUE(ThrowsListenError([&] { (void)identify_inherited_socket(file.fd, "n"); },
                                "socket passed by systemd as fd " + std::to_string(file.fd) + " (n): not a socket"));
  const Fd udp(::socket(AF_INET, SOCK_DGRAM, 0));
  EXPECT_TRUE(ThrowsListenError([&] { (void)identify_inherited_socket(udp.fd, "n"); }, "a datagram socket"));
  const Fd unbound(::socket(AF_INET, SOCK_STREAM, 0));
  EXPECT_TRUE(ThrowsListenError([&] { (void)identify_inherited_socket(unbound.fd, "n"); },
                                "0.0.0.0:0 is not listening"));
  EXPECT_TRUE(ThrowsListenError([] { (void)identify_inherited_socket(1000, "gone"); },
                                "fd 1000 (gone): not an open descriptor"));
}

ListenEndpoint tcp(const std::string& host, std::uint16_t port) {
  return ListenEndpoint{ListenEndpoint::Kind::tcp, host, port, {}};
}

InheritedSocket passed(int fd, ListenEndpoint endpoint) {
  return InheritedSocket{fd, "grayling.socket", std::move(endpoint)};
}

TEST(ListenPlan, WithoutOptionsEveryPassedSocketIsServed) {
  const std::vector<InheritedSocket> inherited{passed(3, tcp("127.0.0.1", 10023)), passed(4, tcp("::1", 10023))};
  const ListenPlan plan = plan_listeners({}, inherited);
  ASSERT_EQ(plan.entries.size(), 2u);
  EXPECT_EQ(plan.entries[0].inherited, &inherited[0]);
  EXPECT_EQ(plan.entries[1].inherited, &inherited[1]);
  EXPECT_EQ(plan.entries[1].endpoint, inherited[1].endpoint);
}

TEST(ListenPlan, OptionsTakeThePassedSocketOfTheirAddressAndBindTheRest) {
  const std::vector<InheritedSocket> inherited{passed(3, tcp("::1", 10023)), passed(4, tcp("127.0.0.1", 10023))};
  auto configured = parse_inet_spec("10023");  // 127.0.0.1 and ::1
  configured.push_back(tcp("127.0.0.1", 10025));
  configured.push_back(unix_endpoint("/var/spool/postfix/grayling/socket"));
  const ListenPlan plan = plan_listeners(configured, inherited);
  ASSERT_EQ(plan.entries.size(), 4u);
  EXPECT_EQ(plan.entries[0].inherited, &inherited[1]);
  EXPECT_EQ(plan.entries[1].inherited, &inherited[0]);
  EXPECT_EQ(plan.entries[2].inherited, nullptr);
  EXPECT_EQ(plan.entries[3].inherited, nullptr);
  EXPECT_EQ(plan.entries[3].endpoint, configured[3]);
}

TEST(ListenPlan, AddressesCompareAsAddressesAndPathsAsPaths) {
  ListenEndpoint spelt = tcp("0:0:0:0:0:0:0:1", 10023);
  ListenEndpoint local = unix_endpoint("/run/grayling/socket");
  const std::vector<InheritedSocket> inherited{passed(3, tcp("::1", 10023)), passed(4, local)};
  const ListenPlan plan = plan_listeners({spelt, local}, inherited);
  EXPECT_EQ(plan.entries[0].inherited, &inherited[0]);
  EXPECT_EQ(plan.entries[1].inherited, &inherited[1]);
}

TEST(ListenPlan, APassedSocketNoOptionNamesIsAnError) {
  const std::vector<InheritedSocket> inherited{passed(3, tcp("127.0.0.1", 10023)), passed(4, tcp("::1", 10023))};
  EXPECT_TRUE(ThrowsListenError([&] { (void)plan_listeners(parse_inet_spec("10024"), inherited); },
                                "systemd passed 127.0.0.1:10023 (fd 3, grayling.socket) and [::1]:10023 (fd 4, "
                                "grayling.socket) that no --inet or --unix option names"));
  // Same address, other port; same port, other address: neither matches.
  EXPECT_TRUE(ThrowsListenError([&] { (void)plan_listeners({tcp("127.0.0.1", 10023)}, inherited); },
                                "systemd passed [::1]:10023 (fd 4, grayling.socket) that no"));
  EXPECT_TRUE(ThrowsListenError(
      [&] { (void)plan_listeners({tcp("127.0.0.2", 10023), tcp("::1", 10023)}, inherited); }, "127.0.0.1:10023"));
}

}  // namespace
}  // namespace grayling
