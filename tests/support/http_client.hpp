#pragma once
/// A minimal HTTP/1.1 client over plain POSIX sockets, for the daemon's metrics endpoint:
/// the raw response back, so tests see exactly what was sent; one request per connection,
/// or several on one kept-alive connection.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "support/policy_client.hpp"

namespace grayling::test {

/// A TCP connection to 127.0.0.1:`port`, or -1. The caller closes it.
int connect_loopback(std::uint16_t port);

/// `method` `path` on a new connection ("Connection: close"): the whole response, status
/// line first, as read until the server closes or 5 s pass without a byte; "connect
/// failed" if nothing listens.
std::string http_exchange(std::uint16_t port, const std::string& method, const std::string& path);

/// GET `path` on `connection`, kept alive (HTTP/1.1's default): the whole response, head
/// and Content-Length body, or nullopt if the connection closed or `timeout` passed first.
std::optional<std::string> http_get_kept_alive(PolicyClient& connection, const std::string& path,
                                               std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace grayling::test
