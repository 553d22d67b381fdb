#pragma once
/// A blocking Postfix-policy client over plain POSIX sockets (TCP over IPv4/IPv6, or unix),
/// with a timeout on every operation. It sends raw bytes, so tests control exactly what
/// goes on the wire, and splits what comes back into replies ending in "\n\n".

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace grayling::test {

using namespace std::chrono_literals;

class PolicyClient {
 public:
  /// Connects to a numeric address ("127.0.0.1", "::1") and port. nullopt on failure or
  /// timeout, with the reason in *error if given.
  static std::optional<PolicyClient> connect_tcp(const std::string& host, std::uint16_t port,
                                                 std::chrono::milliseconds timeout = 5s, std::string* error = nullptr);
  /// Like connect_tcp(), but binds the local end to the numeric address `source` (port
  /// chosen by the kernel) before connecting, e.g. 127.0.0.2 to come from another peer.
  static std::optional<PolicyClient> connect_tcp_from(const std::string& source, const std::string& host,
                                                      std::uint16_t port, std::chrono::milliseconds timeout = 5s,
                                                      std::string* error = nullptr);
  /// Connects to a unix stream socket.
  static std::optional<PolicyClient> connect_unix(const std::string& path, std::chrono::milliseconds timeout = 5s,
                                                  std::string* error = nullptr);

  PolicyClient(PolicyClient&& other) noexcept;
  PolicyClient& operator=(PolicyClient&& other) noexcept;
  PolicyClient(const PolicyClient&) = delete;
  PolicyClient& operator=(const PolicyClient&) = delete;
  ~PolicyClient();

  /// Writes all of `bytes`. False if the connection failed or the timeout passed first.
  bool send(std::string_view bytes, std::chrono::milliseconds timeout = 5s);

  /// Writes `bytes` one byte per write, pausing `gap` between writes (TCP_NODELAY is set,
  /// so with a gap each byte leaves in its own segment).
  bool send_bytewise(std::string_view bytes, std::chrono::milliseconds gap = 0ms);

  /// The next reply, exactly as received including its "\n\n". nullopt if the connection
  /// closed or the timeout passed before a whole reply arrived.
  std::optional<std::string> read_reply(std::chrono::milliseconds timeout = 5s);

  /// Everything up to and including the next `terminator`. nullopt if the connection
  /// closed or the timeout passed before it arrived.
  std::optional<std::string> read_until(std::string_view terminator, std::chrono::milliseconds timeout = 5s);

  /// The next `count` bytes; nullopt on close or timeout before they all arrived.
  std::optional<std::string> read_exactly(std::size_t count, std::chrono::milliseconds timeout = 5s);

  /// `count` replies in order; stops early (returning fewer) on close or timeout.
  std::vector<std::string> read_replies(std::size_t count, std::chrono::milliseconds timeout = 5s);

  /// send() then read_reply().
  std::optional<std::string> ask(std::string_view request, std::chrono::milliseconds timeout = 5s);

  /// Waits until the peer closes the connection (EOF or reset). Bytes that arrive in the
  /// meantime are kept in pending(). False if still open at the deadline.
  bool wait_closed(std::chrono::milliseconds timeout = 5s);

  /// True if the peer has closed (EOF or reset seen); does not wait.
  [[nodiscard]] bool closed() const { return closed_; }

  /// Received bytes not yet returned as a reply.
  [[nodiscard]] const std::string& pending() const { return buffer_; }

  /// Why the last operation failed, if it did.
  [[nodiscard]] const std::string& error() const { return error_; }

  [[nodiscard]] int fd() const { return fd_; }

  /// This end's address as the daemon logs its peers: "127.0.0.1:PORT", "[::1]:PORT";
  /// empty for unix sockets.
  [[nodiscard]] std::string local_endpoint() const;

 private:
  explicit PolicyClient(int fd) : fd_(fd) {}
  /// Reads what is available, waiting until `deadline`. False on timeout; sets closed_.
  bool fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buffer_;
  bool closed_ = false;
  std::string error_;
};

/// One policy request: `name=value` lines in the given order, then an empty line; every
/// line ends with `eol` ("\n" or "\r\n").
std::string policy_request(const std::vector<std::pair<std::string, std::string>>& attributes,
                           std::string_view eol = "\n");

/// A typical Postfix RCPT-state request for the triplet (client_address, sender, recipient),
/// with `extra` attributes appended (they may repeat and so override earlier ones). Each
/// call is a new message: its `instance` is unique unless `extra` sets one.
std::string rcpt_request(const std::string& client_address, const std::string& sender, const std::string& recipient,
                         const std::vector<std::pair<std::string, std::string>>& extra = {},
                         std::string_view eol = "\n");

}  // namespace grayling::test
