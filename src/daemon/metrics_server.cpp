#include "metrics_server.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <list>

namespace grayling {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kMaxConnections = 16;
constexpr std::uint32_t kMaxHeaderBytes = 8192;
constexpr auto kRequestTimeout = std::chrono::seconds(5);

}  // namespace

struct MetricsServer::Impl : std::enable_shared_from_this<MetricsServer::Impl> {
  Impl(asio::io_context& io_, const metrics::Metrics& metrics_, Readiness readiness_)
      : io(io_), acceptor(io_), metrics(metrics_), readiness(std::move(readiness_)) {}

  asio::io_context& io;
  tcp::acceptor acceptor;
  const metrics::Metrics& metrics;
  Readiness readiness;
  std::list<std::shared_ptr<beast::tcp_stream>> connections;
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

  asio::awaitable<void> serve(std::shared_ptr<beast::tcp_stream> stream) {
    beast::flat_buffer buffer(kMaxHeaderBytes);
    for (;;) {
      http::request_parser<http::empty_body> parser;
      parser.header_limit(kMaxHeaderBytes);
      parser.body_limit(0);  // no request here has a body
      stream->expires_after(kRequestTimeout);  // a slow or silent client is dropped
      error_code ec;
      co_await http::async_read(*stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (ec != http::error::end_of_stream && ec != beast::error::timeout && ec != asio::error::operation_aborted &&
            ec != asio::error::connection_reset && ec != asio::error::eof) {
          http::response<http::string_body> bad{http::status::bad_request, 11};
          bad.set(http::field::content_type, "text/plain; charset=utf-8");
          bad.body() = "bad request\n";
          bad.keep_alive(false);
          bad.prepare_payload();
          stream->expires_after(kRequestTimeout);
          co_await http::async_write(*stream, bad, asio::redirect_error(asio::use_awaitable, ec));
        }
        break;
      }
      auto response = respond(parser.get());
      const bool keep = response.keep_alive();
      stream->expires_after(kRequestTimeout);
      co_await http::async_write(*stream, response, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !keep) break;
    }
    error_code ignored;
    stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream->close();
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
      // Dead streams (their coroutine has ended) go first; then the limit.
      connections.remove_if([](const auto& stream) { return !stream->socket().is_open(); });
      if (connections.size() >= kMaxConnections) {
        socket.close(ec);
        continue;
      }
      auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
      connections.push_back(stream);
      asio::co_spawn(io, serve(stream), asio::detached);
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
  for (auto& stream : impl_->connections) stream->close();
  impl_->connections.clear();
}

}  // namespace grayling
