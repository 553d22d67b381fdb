/// Parsing, connecting and listening for the endpoints of endpoint.hpp.

#include "endpoint.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace bench {

std::optional<Endpoint> parse_endpoint(const std::string& text) {
  Endpoint endpoint;
  endpoint.text = text;
  if (text.starts_with("unix:")) {
    const std::string path = text.substr(5);
    auto* address = reinterpret_cast<sockaddr_un*>(&endpoint.address);
    if (path.empty() || path.size() >= sizeof address->sun_path) return std::nullopt;
    address->sun_family = AF_UNIX;
    std::memcpy(address->sun_path, path.c_str(), path.size() + 1);
    endpoint.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
    return endpoint;
  }
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  std::string host = text.substr(0, colon);
  int port = 0;
  try {
    std::size_t used = 0;
    port = std::stoi(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || port <= 0 || port > 65535) return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    auto* address = reinterpret_cast<sockaddr_in6*>(&endpoint.address);
    if (inet_pton(AF_INET6, host.c_str(), &address->sin6_addr) != 1) return std::nullopt;
    address->sin6_family = AF_INET6;
    address->sin6_port = htons(static_cast<std::uint16_t>(port));
    endpoint.length = sizeof(sockaddr_in6);
    return endpoint;
  }
  auto* address = reinterpret_cast<sockaddr_in*>(&endpoint.address);
  if (inet_pton(AF_INET, host.c_str(), &address->sin_addr) != 1) return std::nullopt;
  address->sin_family = AF_INET;
  address->sin_port = htons(static_cast<std::uint16_t>(port));
  endpoint.length = sizeof(sockaddr_in);
  return endpoint;
}

int connect_nonblocking(const Endpoint& endpoint) {
  const int fd = ::socket(endpoint.address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  // Blocking connect: on loopback it completes (or is refused) at once, and the caller
  // gets a usable socket or a clear error without a second round through epoll.
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&endpoint.address), endpoint.length) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  if (!endpoint.is_unix()) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

int listen_nonblocking(const Endpoint& endpoint, int backlog) {
  if (endpoint.is_unix()) ::unlink(reinterpret_cast<const sockaddr_un*>(&endpoint.address)->sun_path);
  const int fd = ::socket(endpoint.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  const int one = 1;
  if (!endpoint.is_unix()) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&endpoint.address), endpoint.length) != 0 ||
      ::listen(fd, backlog) != 0) {
    const std::string error = std::strerror(errno);
    ::close(fd);
    throw std::runtime_error("cannot listen on " + endpoint.text + ": " + error);
  }
  return fd;
}

}  // namespace bench
