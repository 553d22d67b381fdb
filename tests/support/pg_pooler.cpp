#include "support/pg_pooler.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <system_error>

#include "support/held_socket.hpp"
#include "support/http_client.hpp"

namespace grayling::test {

namespace {

// The requests a client may send before its startup message (SSLRequest, GSSENCRequest):
// a length of 8 and these codes. Both are answered 'N', "not here".
constexpr std::uint32_t kSslRequest = 80877103;
constexpr std::uint32_t kGssEncRequest = 80877104;

std::uint32_t big_endian(const char* bytes) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = value << 8 | static_cast<unsigned char>(bytes[i]);
  return value;
}

bool write_all(int fd, const std::string& bytes) {
  for (std::size_t sent = 0; sent < bytes.size();) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

bool read_exact(int fd, char* into, std::size_t size) {
  for (std::size_t got = 0; got < size;) {
    const ssize_t n = ::recv(fd, into + got, size - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<std::size_t>(n);
  }
  return true;
}

/// Cuts a stream of protocol messages (a type byte, then a 4-byte length that counts
/// itself, then the body) into whole messages.
class Messages {
 public:
  /// Reads what `fd` has; false at its end or on an error.
  bool read_from(int fd) {
    char chunk[16384];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) return true;
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  /// The next whole message, if one has arrived.
  std::optional<std::string> next() {
    if (buffer_.size() < 5) return std::nullopt;
    const std::size_t size = 1 + big_endian(buffer_.data() + 1);
    if (buffer_.size() < size) return std::nullopt;
    std::string message = buffer_.substr(0, size);
    buffer_.erase(0, size);
    return message;
  }

 private:
  std::string buffer_;
};

/// The next whole message from `fd`, waiting for it; nullopt at the end of the stream.
std::optional<std::string> next_message(int fd, Messages& messages) {
  for (;;) {
    if (auto message = messages.next()) return message;
    if (!messages.read_from(fd)) return std::nullopt;
  }
}

/// The text of an ErrorResponse's message field ('M').
std::string error_text(const std::string& message) {
  for (std::size_t at = 5; at < message.size() && message[at] != '\0';) {
    const char field = message[at++];
    const std::size_t end = message.find('\0', at);
    if (end == std::string::npos) break;
    if (field == 'M') return message.substr(at, end - at);
    at = end + 1;
  }
  return "an error";
}

/// A connection to the server, whose reads give up after 30 s: a server that stops
/// answering must not hang the test. -1 on failure.
int connect_server(std::uint16_t port) {
  const int fd = connect_loopback(port);
  const timeval timeout{30, 0};
  if (fd >= 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

}  // namespace

PgPooler::PgPooler(std::uint16_t server_port) : server_port_(server_port) {
  HeldSocket listening = HeldSocket::tcp("127.0.0.1");
  port_ = listening.port();
  listener_ = ::dup(listening.fd());
  if (listener_ < 0 || ::pipe2(wake_, O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "PgPooler");
  }
  acceptor_ = std::thread([this] { accept_clients(); });
}

PgPooler::~PgPooler() {
  ::close(wake_[1]);  // every thread's poll() sees the pipe's end
  acceptor_.join();
  for (auto& thread : threads_) thread.join();
  ::close(wake_[0]);
  ::close(listener_);
}

void PgPooler::switch_sessions() {
  std::lock_guard lock(mutex_);
  ++requested_.switches;
}

void PgPooler::run_between(const std::string& sql) {
  std::lock_guard lock(mutex_);
  ++requested_.commands;
  requested_.sql = sql;
}

std::vector<std::string> PgPooler::command_errors() const {
  std::lock_guard lock(mutex_);
  return errors_;
}

PgPooler::Request PgPooler::request() const {
  std::lock_guard lock(mutex_);
  return requested_;
}

void PgPooler::note_error(std::string error) {
  std::lock_guard lock(mutex_);
  errors_.push_back(std::move(error));
}

void PgPooler::accept_clients() {
  for (;;) {
    pollfd ready[2] = {{listener_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(ready, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (ready[1].revents != 0) return;
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client >= 0) threads_.emplace_back([this, client] { serve(client); });
  }
}

int PgPooler::open_session(const std::string& startup) {
  const int server = connect_server(server_port_);
  if (server < 0 || !write_all(server, startup)) {
    if (server >= 0) ::close(server);
    note_error("cannot open a server session");
    return -1;
  }
  ++sessions_opened_;
  // The server's greeting is for a client that is already greeted: read and dropped.
  Messages messages;
  while (auto message = next_message(server, messages)) {
    if (message->at(0) == 'R' && big_endian(message->data() + 5) != 0) {
      note_error("the server asks for a password: only trust authentication is supported");
      break;
    }
    if (message->at(0) == 'E') {
      note_error(error_text(*message));
      break;
    }
    if (message->at(0) == 'Z') return server;
  }
  ::close(server);
  return -1;
}

bool PgPooler::run_command(int server, const std::string& sql) {
  std::string query = "Q    " + sql + '\0';
  const auto length = static_cast<std::uint32_t>(query.size() - 1);
  for (int i = 0; i < 4; ++i) query[1 + i] = static_cast<char>(length >> (8 * (3 - i)));
  if (!write_all(server, query)) return false;
  Messages messages;
  while (auto message = next_message(server, messages)) {
    if (message->at(0) == 'E') note_error(error_text(*message));
    if (message->at(0) == 'Z') {
      ++commands_run_;
      return true;
    }
  }
  return false;
}

void PgPooler::serve(int client) {
  // The startup: requests for encryption are declined; the startup message itself is
  // kept, to open every further server session for this client as it would.
  std::string startup;
  for (;;) {
    char head[8];
    if (!read_exact(client, head, sizeof head)) {
      ::close(client);
      return;
    }
    const std::uint32_t length = big_endian(head), code = big_endian(head + 4);
    if (length == 8 && (code == kSslRequest || code == kGssEncRequest)) {
      if (!write_all(client, "N")) {
        ::close(client);
        return;
      }
      continue;
    }
    startup.assign(head, sizeof head);
    startup.resize(length < 8 ? 8 : length);
    if (length < 8 || !read_exact(client, startup.data() + 8, length - 8)) {
      ::close(client);
      return;
    }
    break;
  }
  int server = connect_server(server_port_);
  if (server < 0 || !write_all(server, startup)) {
    if (server >= 0) ::close(server);
    ::close(client);
    return;
  }
  ++sessions_opened_;

  Request done = request();  // only what is asked from now on applies to this client
  Messages from_client, from_server;
  int unanswered = 1;   // round trips sent, not yet ended by ReadyForQuery (the greeting's first)
  bool sending = false; // the client has begun a round trip it has not ended with Sync yet
  char status = 'I';    // the server's transaction status at the last ReadyForQuery
  bool open = true;
  while (open) {
    pollfd ready[3] = {{client, POLLIN, 0}, {server, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(ready, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (ready[2].revents != 0) break;
    if (ready[1].revents != 0) {
      open = from_server.read_from(server);
      while (auto message = from_server.next()) {
        if (message->at(0) == 'Z') {
          --unanswered;
          status = message->at(5);
        }
        open = open && write_all(client, *message);
      }
    }
    if (open && ready[0].revents != 0) {
      open = from_client.read_from(client);
      while (auto message = from_client.next()) {
        if (unanswered == 0 && !sending) {  // a pause: between two round trips
          const Request now = request();
          if (now.switches != done.switches && status == 'I') {
            ::close(server);
            server = open_session(startup);
            if (server < 0) {
              open = false;
              break;
            }
            done.switches = now.switches;
          }
          if (now.commands != done.commands) {
            if (!run_command(server, now.sql)) {
              open = false;
              break;
            }
            done.commands = now.commands;
          }
        }
        const char type = message->at(0);
        if (type == 'S' || type == 'Q') {
          ++unanswered;
          sending = false;
        } else {
          sending = true;
        }
        open = open && write_all(server, *message) && type != 'X';
      }
    }
  }
  if (server >= 0) ::close(server);
  ::close(client);
}

}  // namespace grayling::test
