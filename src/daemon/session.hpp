#pragma once
// One Postfix connection: a reader coroutine that parses, decides and answers requests in
// order, and a watchdog coroutine that closes the connection when it sits idle too long.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "asio.hpp"
#include "decision_deadlines.hpp"
#include "grayling/core/ip_address.hpp"
#include "grayling/core/pass_cache.hpp"
#include "grayling/core/policy_engine.hpp"
#include "grayling/daemon/decision_service.hpp"
#include "grayling/daemon/server.hpp"
#include "grayling/dns/sender_authority.hpp"
#include "grayling/metrics/metrics.hpp"

namespace grayling {

using StreamSocket = asio::generic::stream_protocol::socket;

/// What every session shares: settings and the decision path.
struct SessionContext {
  /// The settings in force, swapped whole by a reload; sessions read it at every request.
  const std::shared_ptr<const SessionSettings>& settings;
  DecisionService& service;
  /// Writes buffered log lines once the current event-loop round is done.
  std::function<void()> request_log_flush;
  /// Known passing triplets, shared by all sessions on the I/O thread.
  PassCache& passes;
  /// The --store-timeout deadline of every request waiting for the store thread.
  DecisionDeadlines& deadlines;
  /// Says (rate-limited) that the store did not answer in time.
  std::function<void()> report_store_timeout;
  /// SPF equivalence (--spf-equivalence): asked for each request that goes to the store;
  /// null when it is off.
  dns::SenderAuthority* spf = nullptr;
  /// How long a request may wait for its SPF check (--dns-timeout).
  std::chrono::milliseconds spf_budget{500};
  /// --metrics: what the I/O thread counts (its shard); null when off.
  metrics::Metrics* metrics = nullptr;
};

/// Serves one connection until the peer leaves, misbehaves, idles out, or we stop.
class Session : public std::enable_shared_from_this<Session> {
 public:
  /// `address` is the TCP peer's address (none for unix sockets), for --allow-from.
  Session(StreamSocket socket, std::string peer, std::optional<IpAddress> address, SessionContext& context);

  /// Starts both coroutines; `on_end` runs once the connection is closed.
  void start(std::function<void(Session*)> on_end);

  /// Finish the request being answered, and any request already sent (or, on a connection
  /// that has sent nothing yet, sent within kFreshConnectionGrace), then close; whatever
  /// the client does, the connection is closed within kStopLimit.
  void stop();

  /// How long after a stop a session may still take to finish its answer; the store's
  /// answer is given up (per --store-error-action) kStoreStopLimit after the stop, so that
  /// the client still gets one.
  static constexpr std::chrono::milliseconds kStopLimit{2000};
  static constexpr std::chrono::milliseconds kStoreStopLimit{1000};
  /// The longest a written answer may wait for the client to read it (less, if
  /// --idle-timeout is shorter): Postfix reads its answer at once.
  static constexpr std::chrono::seconds kWriteTimeout{10};

  /// The settings changed: the idle timeout is measured anew against them.
  void settings_changed() { idle_timer_.cancel(); }

  [[nodiscard]] const std::string& peer() const { return peer_; }
  [[nodiscard]] const std::optional<IpAddress>& address() const { return address_; }

 private:
  asio::awaitable<void> serve();
  asio::awaitable<void> watch_idle();
  asio::awaitable<void> answer(std::vector<PolicyRequest> requests, const SessionSettings& settings);
  /// Re-keys the lookups whose client the sender's domain authorises by SPF; drops those
  /// that then pass from the cache (their decisions filled in).
  asio::awaitable<void> apply_spf(const PolicyEngine& engine, const std::vector<PolicyRequest>& requests,
                                  std::vector<TripletLookup>& lookups, std::vector<std::size_t>& slots,
                                  std::vector<Decision>& decisions, EpochSeconds now);
  void finish(const PolicyEngine& engine, const PolicyRequest& request, Decision& decision,
              const SessionSettings& settings);
  /// Writes `reply`: at once when the socket takes it whole (nearly always), else under the
  /// watchdog's write deadline.
  asio::awaitable<void> write(const std::string& reply);
  [[nodiscard]] std::chrono::steady_clock::duration write_timeout() const;
  void close();

  StreamSocket socket_;
  asio::steady_timer idle_timer_;
  std::chrono::steady_clock::time_point last_activity_;
  std::string peer_;
  std::optional<IpAddress> address_;
  SessionContext& context_;
  std::string header_instance_;  // the message (instance) that already got X-Greylist
  bool busy_ = false;      // between reading a request and writing its answer
  bool stopping_ = false;
  bool received_ = false;  // anything read yet
  // Set while the store has this connection's last lookups, answered or not (a timed-out
  // job still commits): its next request does not queue a second job behind the first.
  std::shared_ptr<std::atomic<bool>> store_job_out_ = std::make_shared<std::atomic<bool>>(false);
  // Stopping: how long a connection that has sent nothing yet may take to send its request.
  static constexpr std::chrono::milliseconds kFreshConnectionGrace{250};
  std::optional<std::chrono::steady_clock::time_point> stop_deadline_;  // the fresh connection's grace
  std::optional<std::chrono::steady_clock::time_point> stop_limit_;     // closed then, whatever it does
  std::optional<std::chrono::steady_clock::time_point> write_started_;  // an answer the client has not taken
};

}  // namespace grayling
