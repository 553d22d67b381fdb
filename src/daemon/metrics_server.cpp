#include "metrics_server.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <list>
#include <optional>

namespace grayling {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxConnections = 16;
constexpr std::uint32_t kMaxHeaderBytes = 8192;
// From a request's first byte to the end of its headers, and to write the response.
constexpr auto kRequestTimeout = std::chrono::seconds(5);
// Waiting for a request (the first, or the next on a kept-alive connection). Scrapers and
// probes send theirs at once; a connection kept for later only holds a slot.
constexpr auto kIdleTimeout = std::chrono::seconds(2);
// No request is read after this, however busy the connection: none holds a slot for good.
constexpr auto kMaxLifetime = std::chrono::seconds(10);

/// One HTTP connection, with what the accept loop needs to pick one to evict.
struct Connection {
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  Clock::time_point opened = Clock::now();
  /// Set while waiting for a request's first byte: only then may it be closed for another.
  std::optional<Clock::time_point> idle_since;
};

}  // namespace

struct MetricsServer::Impl : std::enable_shared_from_this<MetricsServer::Impl> {
  Impl(asio::io_context& io_, const metrics::Metrics& metrics_, Readiness readiness_)
      : io(io_), acceptor(io_), metrics(metrics_), readiness(std::move(readiness_)) {}

  asio::io_context& io;
  tcp::acceptor acceptor;
  const metrics::Metrics& metrics;
  Readiness readiness;
  std::list<std::shared_ptr<Connection>> connections;
  bool stopped = false;

  http::response<http::string_body> respond(const http::request<http::empty_body>& request) {
    http::response<http::string_body> response;
    response.version(request.version());
    response.keep_alive(request.keep_alive());
    response.set(http::field::server, "grayling");
    const std::string_view target(request.target().data(), request.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    const bool known = path == "/metrics" || path == "/healthz" || path == "/readyz";
    if (!known) {
      response.result(http::status::not_found);
      response.body() = "not found: /metrics, /healthz and /readyz are served\n";
    } else if (request.method() != http::verb::get && request.method() != http::verb::head) {
      response.result(http::status::method_not_allowed);
      response.set(http::field::allow, "GET, HEAD");
      response.body() = "only GET and HEAD\n";
    } else if (path == "/metrics") {
      response.result(http::status::ok);
      response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      response.body() = metrics.render();
    } else if (path == "/healthz") {
      response.result(http::status::ok);
      response.body() = "alive\n";
    } else {
      const std::string why = readiness();
      response.result(why.empty() ? http::status::ok : http::status::service_unavailable);
      response.body() = why.empty() ? "ready\n" : "not ready: " + why + "\n";
    }
    if (!response.has_content_length() && response.find(http::field::content_type) == response.end()) {
      response.set(http::field::content_type, "text/plain; charset=utf-8");
    }
    response.prepare_payload();
    if (request.method() == http::verb::head) response.body().clear();
    return response;
  }

  asio::awaitable<void> serve(std::shared_ptr<Connection> connection) {
    beast::tcp_stream& stream = connection->stream;
    const Clock::time_point end_of_life = connection->opened + kMaxLifetime;
    beast::flat_buffer buffer(kMaxHeaderBytes);
    for (;;) {
      error_code ec;
      if (buffer.size() == 0) {  // nothing pipelined: idle until the next request begins
        const Clock::time_point now = Clock::now();
        if (now >= end_of_life) break;
        connection->idle_since = now;
        stream.expires_at(std::min(now + kIdleTimeout, end_of_life));
        const std::size_t got =
            co_await stream.async_read_some(buffer.prepare(kMaxHeaderBytes), asio::redirect_error(asio::use_awaitable, ec));
        connection->idle_since.reset();
        buffer.commit(got);
        if (ec) break;  // silent past the bound, evicted, or gone
      }
      http::request_parser<http::empty_body> parser;
      parser.header_limit(kMaxHeaderBytes);
      parser.body_limit(0);  // no request here has a body
      stream.expires_after(kRequestTimeout);  // a slow client is dropped
      co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (ec != http::error::end_of_stream && ec != beast::error::timeout && ec != asio::error::operation_aborted &&
            ec != asio::error::connection_reset && ec != asio::error::eof) {
          http::response<http::string_body> bad{http::status::bad_request, 11};
          bad.set(http::field::content_type, "text/plain; charset=utf-8");
          bad.body() = "bad request\n";
          bad.keep_alive(false);
          bad.prepare_payload();
          stream.expires_after(kRequestTimeout);
          co_await http::async_write(stream, bad, asio::redirect_error(asio::use_awaitable, ec));
        }
        break;
      }
      auto response = respond(parser.get());
      if (Clock::now() >= end_of_life) response.keep_alive(false);  // tells the client to reconnect
      const bool keep = response.keep_alive();
      stream.expires_after(kRequestTimeout);
      co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !keep) break;
    }
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
  }

  /// Closes the connection idle longest, to make room for a new one; false if none is idle.
  bool evict_longest_idle() {
    const auto oldest = std::min_element(connections.begin(), connections.end(), [](const auto& a, const auto& b) {
      if (!a->idle_since || !b->idle_since) return a->idle_since.has_value();
      return *a->idle_since < *b->idle_since;
    });
    if (oldest == connections.end() || !(*oldest)->idle_since) return false;
    spdlog::debug("metrics: closing the connection idle for {} ms to serve a new one",
                  std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - *(*oldest)->idle_since).count());
    (*oldest)->stream.close();  // its coroutine wakes with operation_aborted and ends
    connections.erase(oldest);
    return true;
  }

  asio::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    while (!stopped) {
      error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (stopped || ec == asio::error::operation_aborted) co_return;
        continue;
      }
      // Dead connections (their coroutine has ended) go first; then the limit, which an
      // idle connection yields to a new one: clients that keep connections alive between
      // requests must not lock a readiness probe out.
      connections.remove_if([](const auto& connection) { return !connection->stream.socket().is_open(); });
      if (connections.size() >= kMaxConnections && !evict_longest_idle()) {
        socket.close(ec);
        continue;
      }
      auto connection = std::make_shared<Connection>(std::move(socket));
      connections.push_back(connection);
      asio::co_spawn(io, serve(connection), asio::detached);
    }
  }
};

MetricsServer::MetricsServer(asio::io_context& io, const std::string& address, unsigned short port,
                             const metrics::Metrics& metrics, Readiness readiness)
    : impl_(std::make_shared<Impl>(io, metrics, std::move(readiness))) {
  try {
    const tcp::endpoint endpoint(asio::ip::make_address(address), port);
    impl_->acceptor.open(endpoint.protocol());
    impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
    if (endpoint.address().is_v6()) impl_->acceptor.set_option(asio::ip::v6_only(true));
    impl_->acceptor.bind(endpoint);
    impl_->acceptor.listen(64);
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error(fmt::format("cannot serve metrics on {}:{}: {}", address, port, e.code().message()));
  }
  asio::co_spawn(io, impl_->accept_loop(), asio::detached);
}

MetricsServer::~MetricsServer() { stop(); }

void MetricsServer::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  error_code ignored;
  impl_->acceptor.close(ignored);
  for (auto& connection : impl_->connections) connection->stream.close();
  impl_->connections.clear();
}

}  // namespace grayling
