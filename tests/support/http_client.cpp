#include "support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <strings.h>

namespace grayling::test {

int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string http_exchange(std::uint16_t port, const std::string& method, const std::string& path) {
  const int fd = connect_loopback(port);
  if (fd < 0) return "connect failed";
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  const std::string request = method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string response;
  char chunk[8192];
  for (ssize_t got; (got = ::recv(fd, chunk, sizeof chunk, 0)) > 0;) response.append(chunk, static_cast<std::size_t>(got));
  ::close(fd);
  return response;
}

std::optional<std::string> http_get_kept_alive(PolicyClient& connection, const std::string& path,
                                               std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto left = [&deadline] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  };
  if (!connection.send("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n", timeout)) return std::nullopt;
  auto head = connection.read_until("\r\n\r\n", left());
  if (!head) return std::nullopt;
  std::size_t length = 0;
  for (std::size_t line = head->find("\r\n"); line != std::string::npos; line = head->find("\r\n", line + 2)) {
    static constexpr char kField[] = "Content-Length:";
    if (::strncasecmp(head->c_str() + line + 2, kField, sizeof kField - 1) == 0) {
      length = std::stoul(head->substr(line + 2 + sizeof kField - 1));
    }
  }
  auto body = connection.read_exactly(length, left());
  if (!body) return std::nullopt;
  return *head + *body;
}

}  // namespace grayling::test
