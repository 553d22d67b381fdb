#pragma once
/// Finding a TCP port nobody listens on, for a daemon about to start.

#include <cstdint>

namespace grayling::test {

/// True if an IPv6 socket can be bound to ::1 (IPv6 loopback configured).
bool ipv6_loopback_available();

/// A TCP port that is free on 127.0.0.1 and, when `also_ipv6` (and IPv6 is available),
/// on ::1 too, at the moment of the call. Another process may still take it before the
/// daemon binds it: callers that can should retry on "Address already in use".
std::uint16_t free_tcp_port(bool also_ipv6 = false);

}  // namespace grayling::test
