#pragma once
// The --metrics HTTP endpoint on the daemon's own event loop: /metrics (Prometheus text),
// /healthz (alive), /readyz (listening, and the store usable; 503 with the reason
// otherwise). Small and strict: GET and HEAD only, one request at a time per connection,
// headers of 8 KiB at most, 5 s to send them, at most 16 connections, each closed after
// 2 s without a request or 10 s in all, and a 17th closes the one idle longest; nothing a
// scraper does can hold the policy connections up or lock a probe out.

#include <functional>
#include <memory>
#include <string>

#include "asio.hpp"
#include "grayling/metrics/metrics.hpp"

namespace grayling {

class MetricsServer {
 public:
  /// Why the daemon is not ready, or empty when it is.
  using Readiness = std::function<std::string()>;

  /// Binds `address`:`port` at once; throws std::runtime_error naming it if it cannot.
  MetricsServer(asio::io_context& io, const std::string& address, unsigned short port,
                const metrics::Metrics& metrics, Readiness readiness);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  /// Stops accepting and closes every connection (at SIGTERM).
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace grayling
