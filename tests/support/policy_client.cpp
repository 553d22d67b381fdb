#include "support/policy_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

namespace grayling::test {

namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left);
}

/// poll() one descriptor until `deadline`; returns revents, 0 on timeout, -1 on error.
int wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd entry{fd, events, 0};
    const int ready = ::poll(&entry, 1, remaining_ms(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return -1;
    return ready == 0 ? 0 : entry.revents;
  }
}

std::optional<int> connect_socket(int family, const sockaddr* address, socklen_t length,
                                  std::chrono::milliseconds timeout, std::string* error,
                                  const sockaddr* source = nullptr, socklen_t source_length = 0) {
  const auto fail = [error](std::string why) -> std::optional<int> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return fail(std::string("socket: ") + std::strerror(errno));
  if (source != nullptr && ::bind(fd, source, source_length) != 0) {
    const int saved = errno;
    ::close(fd);
    return fail(std::string("bind: ") + std::strerror(saved));
  }
  if (::connect(fd, address, length) != 0) {
    if (errno != EINPROGRESS && errno != EAGAIN) {
      const int saved = errno;
      ::close(fd);
      return fail(std::string("connect: ") + std::strerror(saved));
    }
    const int ready = wait_for(fd, POLLOUT, Clock::now() + timeout);
    if (ready <= 0) {
      ::close(fd);
      return fail(ready == 0 ? "connect: timed out" : std::string("poll: ") + std::strerror(errno));
    }
    int so_error = 0;
    socklen_t size = sizeof so_error;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &size);
    if (so_error != 0) {
      ::close(fd);
      return fail(std::string("connect: ") + std::strerror(so_error));
    }
  }
  if (family != AF_UNIX) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return fd;
}

}  // namespace

std::optional<PolicyClient> PolicyClient::connect_tcp(const std::string& host, std::uint16_t port,
                                                      std::chrono::milliseconds timeout, std::string* error) {
  return connect_tcp_from("", host, port, timeout, error);
}

std::optional<PolicyClient> PolicyClient::connect_tcp_from(const std::string& source, const std::string& host,
                                                           std::uint16_t port, std::chrono::milliseconds timeout,
                                                           std::string* error) {
  sockaddr_in v4{};
  sockaddr_in6 v6{};
  sockaddr_in from4{};
  sockaddr_in6 from6{};
  std::optional<int> fd;
  if (::inet_pton(AF_INET, host.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(port);
    from4.sin_family = AF_INET;
    if (!source.empty() && ::inet_pton(AF_INET, source.c_str(), &from4.sin_addr) != 1) {
      if (error) *error = "not a numeric IPv4 address: " + source;
      return std::nullopt;
    }
    fd = connect_socket(AF_INET, reinterpret_cast<sockaddr*>(&v4), sizeof v4, timeout, error,
                        source.empty() ? nullptr : reinterpret_cast<sockaddr*>(&from4), sizeof from4);
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(port);
    from6.sin6_family = AF_INET6;
    if (!source.empty() && ::inet_pton(AF_INET6, source.c_str(), &from6.sin6_addr) != 1) {
      if (error) *error = "not a numeric IPv6 address: " + source;
      return std::nullopt;
    }
    fd = connect_socket(AF_INET6, reinterpret_cast<sockaddr*>(&v6), sizeof v6, timeout, error,
                        source.empty() ? nullptr : reinterpret_cast<sockaddr*>(&from6), sizeof from6);
  } else {
    if (error) *error = "not a numeric address: " + host;
    return std::nullopt;
  }
  if (!fd) return std::nullopt;
  return PolicyClient(*fd);
}

std::optional<PolicyClient> PolicyClient::connect_unix(const std::string& path, std::chrono::milliseconds timeout,
                                                       std::string* error) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) {
    if (error) *error = "unix socket path too long: " + path;
    return std::nullopt;
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  auto fd = connect_socket(AF_UNIX, reinterpret_cast<sockaddr*>(&address), sizeof address, timeout, error);
  if (!fd) return std::nullopt;
  return PolicyClient(*fd);
}

PolicyClient::PolicyClient(PolicyClient&& other) noexcept
    : fd_(other.fd_), buffer_(std::move(other.buffer_)), closed_(other.closed_), error_(std::move(other.error_)) {
  other.fd_ = -1;
}

PolicyClient& PolicyClient::operator=(PolicyClient&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    buffer_ = std::move(other.buffer_);
    closed_ = other.closed_;
    error_ = std::move(other.error_);
    other.fd_ = -1;
  }
  return *this;
}

PolicyClient::~PolicyClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool PolicyClient::send(std::string_view bytes, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!bytes.empty()) {
    const ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(sent));
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      const int ready = wait_for(fd_, POLLOUT, deadline);
      if (ready == 0) {
        error_ = "send: timed out";
        return false;
      }
      if (ready < 0) {
        error_ = std::string("poll: ") + std::strerror(errno);
        return false;
      }
      continue;
    }
    error_ = std::string("send: ") + std::strerror(errno);
    return false;
  }
  return true;
}

bool PolicyClient::send_bytewise(std::string_view bytes, std::chrono::milliseconds gap) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (!send(bytes.substr(i, 1))) return false;
    if (gap > 0ms) std::this_thread::sleep_for(gap);
  }
  return true;
}

bool PolicyClient::fill(Clock::time_point deadline) {
  if (closed_) return false;
  for (;;) {
    char chunk[4096];
    const ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
    if (got > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(got));
      return true;
    }
    if (got == 0) {
      closed_ = true;
      error_ = "connection closed by peer";
      return false;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      closed_ = true;
      error_ = std::string("recv: ") + std::strerror(errno);
      return false;
    }
    const int ready = wait_for(fd_, POLLIN, deadline);
    if (ready == 0) {
      error_ = "timed out waiting for data";
      return false;
    }
    if (ready < 0) {
      error_ = std::string("poll: ") + std::strerror(errno);
      return false;
    }
  }
}

std::optional<std::string> PolicyClient::read_reply(std::chrono::milliseconds timeout) {
  return read_until("\n\n", timeout);
}

std::optional<std::string> PolicyClient::read_until(std::string_view terminator, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (const auto end = buffer_.find(terminator); end != std::string::npos) {
      std::string text = buffer_.substr(0, end + terminator.size());
      buffer_.erase(0, end + terminator.size());
      return text;
    }
    if (!fill(deadline)) return std::nullopt;
  }
}

std::optional<std::string> PolicyClient::read_exactly(std::size_t count, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (buffer_.size() < count) {
    if (!fill(deadline)) return std::nullopt;
  }
  std::string text = buffer_.substr(0, count);
  buffer_.erase(0, count);
  return text;
}

std::vector<std::string> PolicyClient::read_replies(std::size_t count, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::vector<std::string> replies;
  while (replies.size() < count) {
    auto reply = read_reply(std::chrono::milliseconds(remaining_ms(deadline)));
    if (!reply) break;
    replies.push_back(std::move(*reply));
  }
  return replies;
}

std::optional<std::string> PolicyClient::ask(std::string_view request, std::chrono::milliseconds timeout) {
  if (!send(request, timeout)) return std::nullopt;
  return read_reply(timeout);
}

bool PolicyClient::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!closed_) {
    if (!fill(deadline) && !closed_) return false;
  }
  return true;
}

std::string PolicyClient::local_endpoint() const {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) return {};
  char text[INET6_ADDRSTRLEN] = "";
  if (address.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
    ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    return std::string(text) + ":" + std::to_string(ntohs(v4->sin_port));
  }
  if (address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    return "[" + std::string(text) + "]:" + std::to_string(ntohs(v6->sin6_port));
  }
  return {};
}

std::string policy_request(const std::vector<std::pair<std::string, std::string>>& attributes, std::string_view eol) {
  std::string text;
  for (const auto& [name, value] : attributes) text.append(name).append("=").append(value).append(eol);
  text.append(eol);
  return text;
}

namespace {
/// Postfix's instance attribute identifies one message; recipients of a message share it.
std::string next_instance() {
  static std::atomic<unsigned> counter{0};
  return "test." + std::to_string(::getpid()) + "." + std::to_string(++counter);
}
}  // namespace

std::string rcpt_request(const std::string& client_address, const std::string& sender, const std::string& recipient,
                         const std::vector<std::pair<std::string, std::string>>& extra, std::string_view eol) {
  std::vector<std::pair<std::string, std::string>> attributes{
      {"request", "smtpd_access_policy"},
      {"protocol_state", "RCPT"},
      {"protocol_name", "ESMTP"},
      {"client_address", client_address},
      {"client_name", "mail.example.net"},
      {"reverse_client_name", "mail.example.net"},
      {"helo_name", "mail.example.net"},
      {"sender", sender},
      {"recipient", recipient},
      {"recipient_count", "0"},
      {"queue_id", ""},
      {"instance", next_instance()},
      {"size", "0"},
  };
  attributes.insert(attributes.end(), extra.begin(), extra.end());
  return policy_request(attributes, eol);
}

}  // namespace grayling::test
