#pragma once
/// A minimal HTTP/1.1 client over plain POSIX sockets, for the daemon's metrics endpoint:
/// one request per connection, the raw response back, so tests see exactly what was sent.

#include <cstdint>
#include <string>

namespace grayling::test {

/// A TCP connection to 127.0.0.1:`port`, or -1. The caller closes it.
int connect_loopback(std::uint16_t port);

/// `method` `path` on a new connection ("Connection: close"): the whole response, status
/// line first, as read until the server closes or 5 s pass without a byte; "connect
/// failed" if nothing listens.
std::string http_exchange(std::uint16_t port, const std::string& method, const std::string& path);

}  // namespace grayling::test
