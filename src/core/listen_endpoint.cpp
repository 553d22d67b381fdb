#include "grayling/core/listen_endpoint.hpp"

#include <charconv>

#include <fmt/format.h>

#include "grayling/core/ip_address.hpp"

namespace grayling {

std::string ListenEndpoint::describe() const {
  if (kind == Kind::unix_socket) return "unix:" + path;
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

bool ListenEndpoint::is_loopback() const {
  if (kind == Kind::unix_socket) return true;
  const auto address = IpAddress::parse(host);
  if (!address) return false;
  if (address->family == IpAddress::Family::v4) return address->bytes[0] == 127;
  return *address == *IpAddress::parse("::1");
}

namespace {

std::uint16_t parse_port(std::string_view text, std::string_view spec) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535) {
    throw EndpointError(fmt::format("--inet={}: '{}' is not a port number (1-65535)", spec, text));
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::vector<ListenEndpoint> parse_inet_spec(std::string_view spec) {
  std::string_view host;
  std::string_view port_text = spec;
  if (spec.starts_with('[')) {
    const std::size_t close = spec.find(']');
    if (close == std::string_view::npos || close + 1 >= spec.size() || spec[close + 1] != ':') {
      throw EndpointError(fmt::format("--inet={}: expected [IPV6]:PORT", spec));
    }
    host = spec.substr(1, close - 1);
    port_text = spec.substr(close + 2);
  } else if (const std::size_t colon = spec.rfind(':'); colon != std::string_view::npos) {
    host = spec.substr(0, colon);
    port_text = spec.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      throw EndpointError(fmt::format("--inet={}: write IPv6 addresses in brackets, e.g. [::1]:10023", spec));
    }
  }
  const std::uint16_t port = parse_port(port_text, spec);

  if (host.empty() || host == "localhost") {
    return {ListenEndpoint{ListenEndpoint::Kind::tcp, "127.0.0.1", port, {}},
            ListenEndpoint{ListenEndpoint::Kind::tcp, "::1", port, {}, true}};
  }
  if (host == "*") {
    return {ListenEndpoint{ListenEndpoint::Kind::tcp, "0.0.0.0", port, {}},
            ListenEndpoint{ListenEndpoint::Kind::tcp, "::", port, {}}};
  }
  const auto address = IpAddress::parse(host);
  if (!address) {
    throw EndpointError(
        fmt::format("--inet={}: '{}' is not a numeric IP address (host names other than localhost are not "
                    "resolved; write the address)",
                    spec, host));
  }
  return {ListenEndpoint{ListenEndpoint::Kind::tcp, address->to_string(), port, {}}};
}

ListenEndpoint unix_endpoint(std::string_view path) {
  if (path.empty() || path.front() != '/') {
    throw EndpointError(fmt::format("--unix={}: the socket path must be absolute", path));
  }
  ListenEndpoint endpoint;
  endpoint.kind = ListenEndpoint::Kind::unix_socket;
  endpoint.path = std::string(path);
  return endpoint;
}

}  // namespace grayling
