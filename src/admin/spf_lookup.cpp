#include "spf_lookup.hpp"

// Boost 1.74's coroutine support needs <utility> first with GCC 12.
#include <utility>

#include <boost/asio.hpp>
#include <chrono>

#include "grayling/dns/spf_authority.hpp"
#include "grayling/dns/unbound_resolver.hpp"

namespace grayling {

std::optional<std::string> spf_authorised_domain(const SpfSettings& settings, const IpAddress& client,
                                                 std::string_view sender, std::string_view helo) {
  if (!settings.equivalence) return std::nullopt;
  boost::asio::io_context io;
  const auto timeout = std::chrono::milliseconds(settings.dns_timeout_ms);
  auto resolver = dns::make_unbound_resolver(io, dns::ResolverSettings{.servers = settings.dns_servers, .timeout = timeout});
  auto authority = dns::make_spf_authority(*resolver);
  std::optional<std::string> domain;
  bool answered = false;
  if (!authority->authorised_domain(client, sender, helo, [&](std::optional<std::string> found) {
        domain = std::move(found);
        answered = true;
      })) {
    return std::nullopt;
  }
  // The daemon's budget for a request's whole check; then it keys by network.
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!answered && std::chrono::steady_clock::now() < until) io.run_for(std::chrono::milliseconds(10));
  resolver->stop();
  return answered ? domain : std::nullopt;
}

}  // namespace grayling
