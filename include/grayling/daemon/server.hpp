#pragma once
/// The network side: listeners and one session per Postfix connection.

#include <cstdint>
#include <chrono>
#include <memory>
#include <span>
#include <vector>

#include "grayling/config/config.hpp"
#include "grayling/daemon/decision_service.hpp"
#include "grayling/daemon/listen_error.hpp"
#include "grayling/daemon/systemd_sockets.hpp"

namespace boost::asio {
class io_context;
}

namespace grayling {

namespace dns {
class SenderAuthority;
}
namespace metrics {
class Metrics;
}

/// What sessions read at every request; a reload swaps it whole, between requests.
struct SessionSettings {
  ServerSettings server;
  int verbosity = 2;
  bool json_log = false;                  // --log-format=json: decision lines as JSON members
  std::int64_t store_timeout_ms = 5000;  // --store-timeout
  StoreErrorAction store_error_action = StoreErrorAction::dunno;
};

/// Accepts connections on every configured endpoint and serves the policy protocol on them.
class Server {
 public:
  /// Listens where settings.server.listeners say (those take a restart to change).
  Server(boost::asio::io_context& io, SessionSettings settings);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Sets up every listener, all or nothing: serves the sockets systemd passed
  /// (`inherited`, which must outlive the server) where they match settings.server.listeners
  /// (all of them when that is empty) and binds the rest. Throws ListenError naming the
  /// listener that failed, or an inherited socket no listener asks for.
  void listen(std::span<const InheritedSocket> inherited = {});

  /// Starts accepting connections on the bound listeners; sessions decide through
  /// `service`, asking `spf` (when not null, and outliving the server) whether the
  /// sender's domain authorises the client.
  void start(DecisionService& service, dns::SenderAuthority* spf = nullptr,
             std::chrono::milliseconds spf_budget = std::chrono::milliseconds(500),
             metrics::Metrics* metrics = nullptr);

  /// New settings (after SIGHUP): new connections and every open connection's next request
  /// use them. Peers no longer in --allow-from are disconnected: idle ones at once, busy
  /// ones once they have their answer. Call on the I/O thread.
  void reconfigure(SessionSettings settings);

  /// Graceful stop: close listeners, let sessions answer what they have read, then close.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace grayling
