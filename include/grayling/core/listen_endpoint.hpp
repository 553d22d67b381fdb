#pragma once
/// Where the daemon listens: postgrey's --inet=[HOST:]PORT and --unix=PATH, parsed.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace grayling {

/// One socket to listen on.
struct ListenEndpoint {
  enum class Kind { tcp, unix_socket };
  Kind kind = Kind::tcp;
  std::string host;  // numeric address for tcp ("127.0.0.1", "::1")
  std::uint16_t port = 0;
  std::string path;  // for unix sockets
  // The ::1 half of a bare --inet=PORT: a host without IPv6 loopback skips it with a
  // warning instead of failing to start (docker-mailserver #569 with postgrey).
  bool skip_if_unavailable = false;

  /// "127.0.0.1:10023", "[::1]:10023" or "unix:/path", for logs and errors.
  [[nodiscard]] std::string describe() const;
  /// True for 127.0.0.0/8 and ::1; anything else must be asked for explicitly.
  [[nodiscard]] bool is_loopback() const;

  friend bool operator==(const ListenEndpoint&, const ListenEndpoint&) = default;
};

/// A malformed listen specification.
class EndpointError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// Parses --inet's value. A bare PORT or "localhost:PORT" means both loopbacks,
/// 127.0.0.1 and ::1 (what postgrey's Net::Server binds); "HOST:PORT" and "[V6]:PORT" take
/// a numeric address. Throws EndpointError.
[[nodiscard]] std::vector<ListenEndpoint> parse_inet_spec(std::string_view spec);

/// Builds a unix-socket endpoint; throws EndpointError for an empty or relative path.
[[nodiscard]] ListenEndpoint unix_endpoint(std::string_view path);

}  // namespace grayling
