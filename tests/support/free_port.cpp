#include "support/free_port.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace grayling::test {

namespace {

/// Binds a fresh listening-capable socket to loopback:port (0 = any); returns the port
/// bound, or 0 if the bind failed.
std::uint16_t try_bind(int family, std::uint16_t port) {
  const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as the daemon does
  std::uint16_t bound = 0;
  if (family == AF_INET) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    socklen_t length = sizeof address;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      bound = ntohs(address.sin_port);
    }
  } else {
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_addr = in6addr_loopback;
    address.sin6_port = htons(port);
    socklen_t length = sizeof address;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      bound = ntohs(address.sin6_port);
    }
  }
  ::close(fd);
  return bound;
}

}  // namespace

bool ipv6_loopback_available() { return try_bind(AF_INET6, 0) != 0; }

std::uint16_t free_tcp_port(bool also_ipv6) {
  const bool check_v6 = also_ipv6 && ipv6_loopback_available();
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::uint16_t port = try_bind(AF_INET, 0);
    if (port == 0) throw std::system_error(errno, std::generic_category(), "bind 127.0.0.1:0");
    if (!check_v6 || try_bind(AF_INET6, port) == port) return port;
  }
  throw std::runtime_error("no TCP port free on both 127.0.0.1 and ::1");
}

}  // namespace grayling::test
