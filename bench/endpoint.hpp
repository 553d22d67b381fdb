#pragma once
/// Socket addresses as the benchmark tools spell them: "HOST:PORT", "[V6]:PORT", "unix:PATH".

#include <sys/socket.h>

#include <optional>
#include <string>

namespace bench {

struct Endpoint {
  sockaddr_storage address{};
  socklen_t length = 0;
  std::string text;  // as given, for messages

  [[nodiscard]] bool is_unix() const { return address.ss_family == AF_UNIX; }
};

/// Parses "127.0.0.1:10023", "[::1]:10023" or "unix:/path/socket"; nullopt when malformed.
std::optional<Endpoint> parse_endpoint(const std::string& text);

/// A connected, non-blocking stream socket (TCP_NODELAY on TCP), or -1 with errno set.
int connect_nonblocking(const Endpoint& endpoint);

/// A listening, non-blocking socket (a stale unix socket file is replaced); throws on failure.
int listen_nonblocking(const Endpoint& endpoint, int backlog);

}  // namespace bench
