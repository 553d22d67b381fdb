#include "grayling/daemon/server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <list>
#include <optional>
#include <unordered_map>

#include "asio.hpp"
#include "session.hpp"

namespace grayling {

namespace {

using Protocol = asio::generic::stream_protocol;
using Acceptor = asio::basic_socket_acceptor<Protocol>;

std::string describe_peer(const Protocol::endpoint& endpoint, const ListenEndpoint& listener) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (endpoint.protocol().family() == AF_INET) {
    const auto* address = reinterpret_cast<const sockaddr_in*>(endpoint.data());
    inet_ntop(AF_INET, &address->sin_addr, text, sizeof text);
    return fmt::format("{}:{}", text, ntohs(address->sin_port));
  }
  if (endpoint.protocol().family() == AF_INET6) {
    const auto* address = reinterpret_cast<const sockaddr_in6*>(endpoint.data());
    // An IPv4 peer on a dual-stack [::] socket is named as on an IPv4 one.
    if (IN6_IS_ADDR_V4MAPPED(&address->sin6_addr)) {
      inet_ntop(AF_INET, &address->sin6_addr.s6_addr[12], text, sizeof text);
      return fmt::format("{}:{}", text, ntohs(address->sin6_port));
    }
    inet_ntop(AF_INET6, &address->sin6_addr, text, sizeof text);
    return fmt::format("[{}]:{}", text, ntohs(address->sin6_port));
  }
  return listener.describe();  // unix peers are unnamed
}

Protocol::endpoint to_generic(const ListenEndpoint& listener) {
  if (listener.kind == ListenEndpoint::Kind::unix_socket) {
    return Protocol::endpoint(asio::local::stream_protocol::endpoint(listener.path));
  }
  return Protocol::endpoint(asio::ip::tcp::endpoint(asio::ip::make_address(listener.host), listener.port));
}

/// A unix socket file left by a crashed daemon is replaced; one a live daemon answers on is not.
void clear_stale_socket(const std::string& path) {
  struct stat info {};
  if (lstat(path.c_str(), &info) != 0) return;
  if (!S_ISSOCK(info.st_mode)) throw ListenError(fmt::format("unix:{}: exists and is not a socket", path));
  asio::io_context probe_io;
  asio::local::stream_protocol::socket probe(probe_io);
  error_code ec;
  probe.connect(asio::local::stream_protocol::endpoint(path), ec);
  if (!ec) throw ListenError(fmt::format("unix:{}: another process is already listening there", path));
  ::unlink(path.c_str());
}

/// The peer's IP address, for --allow-from; none for unix sockets. An IPv4 peer of a
/// dual-stack [::] socket (systemd's `ListenStream=PORT`) comes as ::ffff:a.b.c.d: it is
/// the IPv4 address, to --allow-from as everywhere.
std::optional<IpAddress> peer_address(const Protocol::endpoint& remote) {
  const int family = remote.protocol().family();
  IpAddress address;
  if (family == AF_INET) {
    address.family = IpAddress::Family::v4;
    std::memcpy(address.bytes.data(), &reinterpret_cast<const sockaddr_in*>(remote.data())->sin_addr, 4);
  } else if (family == AF_INET6) {
    address.family = IpAddress::Family::v6;
    std::memcpy(address.bytes.data(), &reinterpret_cast<const sockaddr_in6*>(remote.data())->sin6_addr, 16);
  } else {
    return std::nullopt;
  }
  return address.unmapped();
}

/// Logs at most once a second: a flood of refusals or timeouts must not become a log flood.
class RateLimitedWarning {
 public:
  template <typename... Args>
  void warn(fmt::format_string<Args...> format, Args&&... args) {
    const auto now = std::chrono::steady_clock::now();
    if (now < next_) return;
    spdlog::warn(format, std::forward<Args>(args)...);
    next_ = now + std::chrono::seconds(1);
  }

 private:
  std::chrono::steady_clock::time_point next_{};
};

}  // namespace

struct Server::Impl {
  asio::io_context& io;
  std::shared_ptr<const SessionSettings> settings;  // swapped whole by reconfigure()
  std::optional<SessionContext> context;  // set by start(): sessions need the service
  PassCache passes;
  metrics::Metrics* metrics = nullptr;  // set by start(); counted on this (the I/O) thread
  DecisionDeadlines deadlines{io};
  bool log_flush_posted = false;
  RateLimitedWarning refusals;
  RateLimitedWarning store_timeouts;

  /// Every session that logged in this round asks; one write(2) serves them all, after the
  /// handlers already queued (a whole store batch of answers) have run.
  void request_log_flush() {
    if (log_flush_posted) return;
    log_flush_posted = true;
    asio::post(io, [this] {
      log_flush_posted = false;
      spdlog::default_logger()->flush();
    });
  }
  /// A listening socket and where it listens. One systemd passed (`inherited`) belongs to
  /// systemd: grayling never unlinks, chmods or closes it, so that the next grayling
  /// started on it finds every connection that arrived meanwhile waiting in its backlog.
  struct Listener {
    Acceptor acceptor;
    ListenEndpoint endpoint;
    std::string systemd_name;  // set for an inherited socket
    bool inherited = false;
  };
  std::list<Listener> acceptors;
  std::unordered_map<Session*, std::shared_ptr<Session>> sessions;
  bool stopping = false;

  Impl(asio::io_context& io_, SessionSettings settings_)
      : io(io_), settings(std::make_shared<const SessionSettings>(std::move(settings_))) {}

  void bind(const ListenEndpoint& listener) {
    if (listener.kind == ListenEndpoint::Kind::unix_socket) clear_stale_socket(listener.path);
    const Protocol::endpoint endpoint = to_generic(listener);
    Acceptor acceptor(io);
    try {
      acceptor.open(endpoint.protocol());
      if (listener.kind == ListenEndpoint::Kind::tcp) {
        acceptor.set_option(asio::socket_base::reuse_address(true));
        // "::" must not also claim IPv4, or the 0.0.0.0 listener next to it cannot bind.
        if (endpoint.protocol().family() == AF_INET6) acceptor.set_option(asio::ip::v6_only(true));
      }
      acceptor.bind(endpoint);
      acceptor.listen(settings->server.listen_backlog);
    } catch (const boost::system::system_error& e) {
      const bool no_such_address = e.code() == asio::error::address_family_not_supported ||
                                   e.code() == boost::system::errc::address_not_available;
      if (listener.skip_if_unavailable && no_such_address) {
        spdlog::warn("not listening on {}: {} (this host has no IPv6 loopback)", listener.describe(),
                     e.code().message());
        return;
      }
      throw ListenError(fmt::format("cannot listen on {}: {}", listener.describe(), e.code().message()));
    }
    if (listener.kind == ListenEndpoint::Kind::unix_socket &&
        ::chmod(listener.path.c_str(), static_cast<mode_t>(settings->server.socket_mode)) != 0) {
      throw ListenError(fmt::format("cannot chmod {:o} {}: {}", settings->server.socket_mode, listener.path,
                                    std::strerror(errno)));
    }
    acceptors.push_back(Listener{std::move(acceptor), listener, {}, false});
  }

  /// Serves a socket systemd bound (and keeps), as it is: its backlog and, for a unix
  /// socket, its file mode are the socket unit's (Backlog=, SocketMode=).
  void adopt(const InheritedSocket& socket) {
    const int family = socket.endpoint.kind == ListenEndpoint::Kind::unix_socket ? AF_UNIX
                       : socket.endpoint.host.find(':') != std::string::npos ? AF_INET6
                                                                             : AF_INET;
    Acceptor acceptor(io);
    error_code ec;
    acceptor.assign(Protocol(family, family == AF_UNIX ? 0 : IPPROTO_TCP), socket.fd, ec);
    if (ec) throw ListenError(fmt::format("cannot serve {}: {}", socket.describe(), ec.message()));
    acceptors.push_back(Listener{std::move(acceptor), socket.endpoint, socket.name, true});
  }

  asio::awaitable<void> accept_loop(Acceptor& acceptor, const ListenEndpoint& listener) {
    asio::steady_timer backoff(io);
    while (!stopping) {
      error_code ec;
      Protocol::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted) co_return;
      if (ec) {
        // Usually EMFILE: keep serving the connections we have and try again shortly.
        spdlog::error("accept on {} failed: {}", listener.describe(), ec.message());
        backoff.expires_after(std::chrono::milliseconds(100));
        co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      Protocol::endpoint remote;
      remote = socket.remote_endpoint(ec);
      std::string peer = ec ? listener.describe() : describe_peer(remote, listener);
      const std::optional<IpAddress> address = ec ? std::nullopt : peer_address(remote);
      if (!allowed(address)) {
        refusals.warn("refusing connection from {}: not in --allow-from", peer);
        if (metrics) metrics->io.refused_allow_from.add();
        close(socket);
        continue;
      }
      if (sessions.size() >= settings->server.max_connections) {
        refusals.warn("connection limit of {} reached: refusing {}", settings->server.max_connections, peer);
        if (metrics) metrics->io.refused_limit.add();
        close(socket);
        continue;
      }
      if (metrics) {
        metrics->io.connections_accepted.add();
        metrics->connections_open.set(static_cast<std::int64_t>(sessions.size() + 1));
      }
      if (settings->verbosity >= 3) spdlog::debug("connection from {}", peer);
      auto session = std::make_shared<Session>(std::move(socket), std::move(peer), address, *context);
      sessions.emplace(session.get(), session);
      session->start([this](Session* ended) {
        sessions.erase(ended);
        if (metrics) metrics->connections_open.set(static_cast<std::int64_t>(sessions.size()));
      });
      // Accepted just as the stop began (its completion queued behind the signal's): the
      // client is owed an answer as much as any other; stop it the way stop() stops them.
      if (stopping) session->stop();
    }
  }

  /// --allow-from applies to TCP peers; unix sockets are guarded by their file mode.
  bool allowed(const std::optional<IpAddress>& address) const {
    const auto& allow_from = settings->server.allow_from;
    if (allow_from.empty() || !address) return true;
    for (const auto& network : allow_from) {
      if (network.contains(*address)) return true;
    }
    return false;
  }

  static void close(Protocol::socket& socket) {
    error_code ignored;
    socket.close(ignored);
  }
};

Server::Server(asio::io_context& io, SessionSettings settings) : impl_(std::make_unique<Impl>(io, std::move(settings))) {}

Server::~Server() {
  for (auto& listener : impl_->acceptors) {
    if (listener.inherited) {
      // systemd's, still open there: our copy goes with the process, never with a shutdown().
      error_code ignored;
      [[maybe_unused]] const int fd = listener.acceptor.release(ignored);
    } else if (listener.endpoint.kind == ListenEndpoint::Kind::unix_socket) {
      ::unlink(listener.endpoint.path.c_str());
    }
  }
}

void Server::listen(std::span<const InheritedSocket> inherited) {
  const ListenPlan plan = plan_listeners(impl_->settings->server.listeners, inherited);
  for (const auto& entry : plan.entries) {
    if (entry.inherited) {
      impl_->adopt(*entry.inherited);
    } else {
      if (!inherited.empty()) {
        spdlog::warn("{} is not among the sockets systemd passed: grayling binds it itself, and a restart refuses "
                     "connections there",
                     entry.endpoint.describe());
      }
      impl_->bind(entry.endpoint);
    }
  }
  for (auto& listener : impl_->acceptors) {
    spdlog::info("listening on {}{}{}", listener.endpoint.describe(),
                 listener.inherited ? fmt::format(" (socket from systemd: {})", listener.systemd_name) : "",
                 listener.endpoint.is_loopback() ? "" : " (not loopback: reachable from the network)");
  }
}

void Server::start(DecisionService& service, dns::SenderAuthority* spf, std::chrono::milliseconds spf_budget,
                   metrics::Metrics* metrics) {
  impl_->metrics = metrics;
  Impl* impl = impl_.get();
  impl->context.emplace(SessionContext{
      impl->settings, service, [impl] { impl->request_log_flush(); }, impl->passes, impl->deadlines, [impl] {
        impl->store_timeouts.warn("store did not answer within {} ms: answering {} meanwhile",
                                  impl->settings->store_timeout_ms,
                                  impl->settings->store_error_action == StoreErrorAction::dunno ? "DUNNO (fail open)"
                                                                                                 : "451 (tempfail)");
      },
      spf, spf_budget, metrics});
  // Runs on this (the I/O) thread, through the service's dispatcher.
  service.set_change_handler([impl] {
    if (impl->passes.size() == 0) return;
    spdlog::info("the store was changed by another process (grayling-admin): forgot {} cached passes",
                 impl->passes.size());
    impl->passes.clear();
  });
  for (auto& listener : impl_->acceptors) {
    asio::co_spawn(impl_->io, impl_->accept_loop(listener.acceptor, listener.endpoint), [](std::exception_ptr failure) {
      if (!failure) return;
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        spdlog::critical("accept loop failed: {}", e.what());
      }
    });
  }
}

void Server::reconfigure(SessionSettings settings) {
  impl_->settings = std::make_shared<const SessionSettings>(std::move(settings));
  // Copy: a stopped session may end (and unregister) right away.
  std::vector<std::shared_ptr<Session>> open;
  for (auto& [raw, session] : impl_->sessions) open.push_back(session);
  for (auto& session : open) {
    if (!impl_->allowed(session->address())) {
      spdlog::warn("closing connection from {}: no longer in --allow-from", session->peer());
      session->stop();
    } else {
      session->settings_changed();
    }
  }
}

void Server::stop() {
  impl_->stopping = true;
  const auto held = std::count_if(impl_->acceptors.begin(), impl_->acceptors.end(),
                                  [](const Impl::Listener& listener) { return listener.inherited; });
  if (held > 0) {
    spdlog::info("leaving the {} socket{} from systemd open: connections wait there for the next grayling", held,
                 held == 1 ? "" : "s");
  }
  impl_->deadlines.stop(std::chrono::steady_clock::now() + Session::kStoreStopLimit);
  for (auto& listener : impl_->acceptors) {
    error_code ignored;
    // An inherited socket stays open (and unaccepted) until exit: connections that arrive
    // while the open requests drain wait there for the next grayling.
    if (listener.inherited) {
      listener.acceptor.cancel(ignored);
    } else {
      listener.acceptor.close(ignored);
    }
  }
  // Copy: a stopping session may end (and unregister) right away.
  std::vector<std::shared_ptr<Session>> open;
  for (auto& [raw, session] : impl_->sessions) open.push_back(session);
  for (auto& session : open) session->stop();
}

}  // namespace grayling
