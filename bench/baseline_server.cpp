/// The DUNNO-only baseline server (baseline_server.hpp).
///
/// One thread, one level-triggered epoll set, non-blocking sockets: the shape of grayling's
/// own I/O thread, minus everything that makes a decision. Requests are not parsed; a
/// request is complete at its empty line, found with memchr. Per request that leaves one
/// recv(), one send() and a share of one epoll_wait() — nothing faster is reasonable
/// without giving up the protocol (pipelined requests are answered in one send()).

#include "baseline_server.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace bench {

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

constexpr std::string_view kReply = "action=DUNNO\n\n";

struct Client {
  int fd = -1;
  bool line_start = true;  // the next byte begins a line: a '\n' there ends a request
  std::string pending;     // reply bytes the socket did not take yet
  bool want_write = false;  // EPOLLOUT registered for them
};

/// Counts the requests that `data` completes, carrying line state across reads.
std::size_t count_requests(const char* data, std::size_t length, bool& line_start) {
  std::size_t complete = 0;
  const char* position = data;
  const char* const end = data + length;
  while (position < end) {
    const auto* newline = static_cast<const char*>(std::memchr(position, '\n', static_cast<std::size_t>(end - position)));
    if (!newline) {
      line_start = false;
      return complete;
    }
    if (newline == position && line_start) ++complete;
    line_start = true;
    position = newline + 1;
  }
  return complete;
}

class Server {
 public:
  explicit Server(int listener) : listener_(listener), epoll_fd_(epoll_create1(EPOLL_CLOEXEC)) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = listener_;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listener_, &event);
  }

  void run() {
    epoll_event events[512];
    while (!g_stop) {
      const int ready = epoll_wait(epoll_fd_, events, 512, -1);
      for (int i = 0; i < ready; ++i) {
        const int fd = events[i].data.fd;
        if (fd == listener_) {
          accept_all();
          continue;
        }
        Client& client = clients_[static_cast<std::size_t>(fd)];
        if (client.fd >= 0 && (events[i].events & EPOLLOUT)) write_pending(client);
        if (client.fd >= 0 && (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) serve(client);
      }
    }
  }

 private:
  void accept_all() {
    for (;;) {
      const int fd = accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;  // EAGAIN, or EMFILE: try again at the next readiness
      if (clients_.size() <= static_cast<std::size_t>(fd)) clients_.resize(static_cast<std::size_t>(fd) + 1);
      Client& client = clients_[static_cast<std::size_t>(fd)];
      client = Client{};
      client.fd = fd;
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.fd = fd;
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
    }
  }

  void close_client(Client& client) {
    ::close(client.fd);
    client = Client{};
  }

  void serve(Client& client) {
    const ssize_t received = ::recv(client.fd, buffer_, sizeof buffer_, 0);
    if (received < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (received <= 0) {
      close_client(client);
      return;
    }
    const std::size_t complete = count_requests(buffer_, static_cast<std::size_t>(received), client.line_start);
    if (complete == 0) return;
    for (std::size_t i = 0; i < complete; ++i) client.pending.append(kReply);
    if (!client.want_write) write_pending(client);
  }

  void write_pending(Client& client) {
    const ssize_t sent = ::send(client.fd, client.pending.data(), client.pending.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno != EAGAIN && errno != EINTR) {
      close_client(client);
      return;
    }
    if (sent > 0) client.pending.erase(0, static_cast<std::size_t>(sent));
    const bool want_write = !client.pending.empty();
    if (want_write != client.want_write) {  // only a slow reader costs an epoll_ctl
      epoll_event event{};
      event.data.fd = client.fd;
      event.events = want_write ? EPOLLIN | EPOLLOUT : EPOLLIN;
      epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, client.fd, &event);
      client.want_write = want_write;
    }
  }

  int listener_;
  int epoll_fd_;
  std::vector<Client> clients_;
  char buffer_[65536];
};

}  // namespace

int run_baseline_server(const Endpoint& endpoint) {
  struct sigaction action {};
  action.sa_handler = on_signal;  // no SA_RESTART: epoll_wait returns EINTR and we stop
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  try {
    const int listener = listen_nonblocking(endpoint, 4096);
    Server server(listener);
    std::fprintf(stderr, "grayling-bench baseline ready on %s\n", endpoint.text.c_str());
    server.run();
    std::fprintf(stderr, "grayling-bench baseline stopped\n");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "grayling-bench: %s\n", e.what());
    return 1;
  }
}

}  // namespace bench
