#pragma once
/// The network side: listeners and one session per Postfix connection.

#include <memory>
#include <stdexcept>

#include "grayling/config.hpp"
#include "grayling/decision_service.hpp"

namespace boost::asio {
class io_context;
}

namespace grayling {

/// A listener could not be set up; the message names the address and the reason.
class ListenError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Accepts connections on every configured endpoint and serves the policy protocol on them.
class Server {
 public:
  Server(boost::asio::io_context& io, const ServerSettings& settings, int verbosity);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds every listener, all or nothing. Throws ListenError naming the one that failed.
  void listen();

  /// Starts accepting connections on the bound listeners; sessions decide through `service`.
  void start(DecisionService& service);

  /// Graceful stop: close listeners, let sessions answer what they have read, then close.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace grayling
