#pragma once
/// The daemon's resolver: libunbound, driven from the I/O thread's event loop. libunbound
/// resolves on a thread of its own and hands results back through a pipe the event loop
/// watches, so no lookup ever blocks the loop; it caches answers for their TTL, negative
/// ones too, in a cache of bounded size. Asio stays out of this header.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "grayling/dns/resolver.hpp"

namespace boost::asio {
class io_context;
}

namespace grayling::dns {

struct ResolverSettings {
  // Resolvers to ask, "IP" or "IP:PORT" ("[IPv6]:PORT"); empty: /etc/resolv.conf's.
  std::vector<std::string> servers;
  std::chrono::milliseconds timeout{500};   // per question; then Answer::Status::timeout
  std::size_t max_in_flight = 64;           // questions at the resolver at once
  std::size_t max_queued = 4096;            // beyond: answered Status::error at once
  std::size_t cache_bytes = 8 << 20;        // answers and records, each
};

/// "192.0.2.53", "192.0.2.53:5353", "[2001:db8::53]:53", "2001:db8::53" as libunbound
/// writes a forwarder ("192.0.2.53@5353"); throws std::invalid_argument otherwise.
[[nodiscard]] std::string unbound_forwarder(const std::string& server);

/// Throws std::runtime_error naming what libunbound refused (an unreadable resolv.conf,
/// a bad server address).
[[nodiscard]] std::unique_ptr<Resolver> make_unbound_resolver(boost::asio::io_context& io,
                                                              const ResolverSettings& settings);

}  // namespace grayling::dns
