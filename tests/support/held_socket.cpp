#include "support/held_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace grayling::test {

namespace {

[[noreturn]] void fail(int fd, const std::string& what) {
  const int saved = errno;
  if (fd >= 0) ::close(fd);
  throw std::system_error(saved, std::generic_category(), what);
}

constexpr int kBacklog = 4096;  // systemd's default is the kernel's maximum

}  // namespace

HeldSocket HeldSocket::tcp(const std::string& host, std::uint16_t port, const std::string& name) {
  return listen_tcp(host, port, name, true);
}

HeldSocket HeldSocket::tcp_dual_stack(std::uint16_t port, const std::string& name) {
  return listen_tcp("::", port, name, false);
}

HeldSocket HeldSocket::listen_tcp(const std::string& host, std::uint16_t port, const std::string& name,
                                  bool v6_only) {
  sockaddr_storage address{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    length = sizeof *v4;
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    length = sizeof *v6;
  } else {
    throw std::invalid_argument("HeldSocket::tcp: not a numeric address: " + host);
  }
  const int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail(fd, "socket");
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  const int v6_only_value = v6_only ? 1 : 0;  // explicit: the host's default (bindv6only) must not decide
  if (address.ss_family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6_only_value, sizeof v6_only_value);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0) fail(fd, "bind " + host);
  if (::listen(fd, kBacklog) != 0) fail(fd, "listen");
  length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) fail(fd, "getsockname");
  const std::uint16_t bound = ntohs(address.ss_family == AF_INET ? v4->sin_port : v6->sin6_port);
  return HeldSocket(fd, bound, name);
}

HeldSocket HeldSocket::unix_stream(const std::string& path, const std::string& name) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) throw std::invalid_argument("HeldSocket::unix_stream: path too long");
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail(fd, "socket");
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) fail(fd, "bind " + path);
  if (::chmod(path.c_str(), 0666) != 0) fail(fd, "chmod " + path);
  if (::listen(fd, kBacklog) != 0) fail(fd, "listen");
  return HeldSocket(fd, 0, name);
}

HeldSocket HeldSocket::adopt(int fd, const std::string& name) { return HeldSocket(fd, 0, name); }

HeldSocket::HeldSocket(HeldSocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), port_(other.port_), name_(std::move(other.name_)) {}

HeldSocket& HeldSocket::operator=(HeldSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    port_ = other.port_;
    name_ = std::move(other.name_);
  }
  return *this;
}

HeldSocket::~HeldSocket() {
  if (fd_ >= 0) ::close(fd_);
}

std::vector<std::string> listen_fds_environment(const std::vector<const HeldSocket*>& sockets) {
  std::string names;
  for (const auto* socket : sockets) names += (names.empty() ? "" : ":") + socket->name();
  return {"LISTEN_FDS=" + std::to_string(sockets.size()), "LISTEN_FDNAMES=" + names};
}

std::unique_ptr<DaemonProcess> start_with_sockets(const std::string& binary, const std::vector<std::string>& args,
                                                  const std::string& log_path,
                                                  const std::vector<const HeldSocket*>& sockets,
                                                  const std::vector<std::string>& extra_env) {
  std::vector<std::string> environment = listen_fds_environment(sockets);
  environment.insert(environment.end(), extra_env.begin(), extra_env.end());
  PassedFds passed{.fds = {}, .listen_pid = true};
  for (const auto* socket : sockets) passed.fds.push_back(socket->fd());
  return std::make_unique<DaemonProcess>(binary, args, log_path, environment, passed);
}

}  // namespace grayling::test
