#pragma once
// One Postfix connection: a reader coroutine that parses, decides and answers requests in
// order, and a watchdog coroutine that closes the connection when it sits idle too long.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "asio.hpp"
#include "grayling/config.hpp"
#include "grayling/decision_service.hpp"
#include "grayling/pass_cache.hpp"
#include "grayling/policy_engine.hpp"

namespace grayling {

using StreamSocket = asio::generic::stream_protocol::socket;

/// What every session shares: settings and the decision path.
struct SessionContext {
  const ServerSettings& settings;
  DecisionService& service;
  int verbosity;
  /// Writes buffered log lines once the current event-loop round is done.
  std::function<void()> request_log_flush;
  /// Known passing triplets, shared by all sessions on the I/O thread.
  PassCache& passes;
};

/// Serves one connection until the peer leaves, misbehaves, idles out, or we stop.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(StreamSocket socket, std::string peer, SessionContext& context);

  /// Starts both coroutines; `on_end` runs once the connection is closed.
  void start(std::function<void(Session*)> on_end);

  /// Finish the request being answered, if any, then close.
  void stop();

  [[nodiscard]] const std::string& peer() const { return peer_; }

 private:
  asio::awaitable<void> serve();
  asio::awaitable<void> watch_idle();
  asio::awaitable<void> answer(std::vector<PolicyRequest> requests);
  void finish(const PolicyEngine& engine, const PolicyRequest& request, Decision& decision);
  void close();

  StreamSocket socket_;
  asio::steady_timer idle_timer_;
  std::chrono::steady_clock::time_point deadline_;
  std::string peer_;
  SessionContext& context_;
  std::string header_instance_;  // the message (instance) that already got X-Greylist
  bool busy_ = false;      // between reading a request and writing its answer
  bool stopping_ = false;
};

}  // namespace grayling
