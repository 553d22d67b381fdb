#include "grayling/daemon/systemd_sockets.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>

#include "grayling/core/ip_address.hpp"
#include "grayling/daemon/listen_error.hpp"

namespace grayling {

namespace {

// More is a broken environment, not a socket unit: no unit listens on a thousand addresses.
constexpr long kMaxListenFds = 1024;

std::optional<long> parse_positive(std::string_view text) {
  long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

std::vector<std::string> split_names(std::string_view text) {
  std::vector<std::string> names;
  for (;;) {
    const std::size_t colon = text.find(':');
    names.emplace_back(text.substr(0, colon));
    if (colon == std::string_view::npos) return names;
    text.remove_prefix(colon + 1);
  }
}

std::string errno_text() { return std::strerror(errno); }

/// The address a socket is bound to, as a ListenEndpoint; `who` names it in errors.
ListenEndpoint bound_endpoint(int fd, const std::string& who) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw ListenError(fmt::format("{}: cannot read its address: {}", who, errno_text()));
  }
  ListenEndpoint endpoint;
  char text[INET6_ADDRSTRLEN] = "";
  switch (address.ss_family) {
    case AF_INET:
    case AF_INET6: {
      const bool v4 = address.ss_family == AF_INET;
      const auto& in4 = reinterpret_cast<const sockaddr_in&>(address);
      const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address);
      ::inet_ntop(address.ss_family, v4 ? static_cast<const void*>(&in4.sin_addr) : &in6.sin6_addr, text, sizeof text);
      endpoint.host = text;
      endpoint.port = ntohs(v4 ? in4.sin_port : in6.sin6_port);
      return endpoint;
    }
    case AF_UNIX: {
      const auto& local = reinterpret_cast<const sockaddr_un&>(address);
      const std::size_t offset = offsetof(sockaddr_un, sun_path);
      const std::size_t size = length > offset ? length - offset : 0;
      if (size == 0) throw ListenError(fmt::format("{}: an unnamed unix socket", who));
      endpoint.kind = ListenEndpoint::Kind::unix_socket;
      if (local.sun_path[0] == '\0') {
        endpoint.path = "@" + std::string(local.sun_path + 1, size - 1);  // abstract namespace
      } else {
        endpoint.path = std::string(local.sun_path, strnlen(local.sun_path, size));
      }
      return endpoint;
    }
    default:
      throw ListenError(fmt::format("{}: a socket of address family {}; grayling serves TCP and unix sockets", who,
                                    address.ss_family));
  }
}

int socket_option(int fd, int level, int name, const std::string& who) {
  int value = 0;
  socklen_t length = sizeof value;
  if (::getsockopt(fd, level, name, &value, &length) != 0) {
    throw ListenError(fmt::format("{}: cannot read its socket options: {}", who, errno_text()));
  }
  return value;
}

bool same_endpoint(const ListenEndpoint& a, const ListenEndpoint& b) {
  if (a.kind != b.kind) return false;
  if (a.kind == ListenEndpoint::Kind::unix_socket) return a.path == b.path;
  if (a.port != b.port) return false;
  const auto first = IpAddress::parse(a.host);
  const auto second = IpAddress::parse(b.host);
  return first && second && *first == *second;  // "::1" and "0:0::1" are one address
}

}  // namespace

ListenFds parse_listen_fds(const char* listen_pid, const char* listen_fds, const char* listen_fdnames, pid_t self) {
  ListenFds result;
  if (listen_fds == nullptr) return result;
  if (listen_pid == nullptr) {
    result.ignored = "LISTEN_FDS is set without LISTEN_PID: ignored (not passed by systemd)";
    return result;
  }
  const auto pid = parse_positive(listen_pid);
  if (!pid || *pid == 0) throw ListenError(fmt::format("LISTEN_PID={}: not a process id", listen_pid));
  if (*pid != self) {
    result.ignored = fmt::format("LISTEN_FDS is for process {} (LISTEN_PID), not for this one ({}): ignored", *pid, self);
    return result;
  }
  const auto count = parse_positive(listen_fds);
  if (!count || *count > kMaxListenFds) {
    throw ListenError(fmt::format("LISTEN_FDS={}: expected the number of sockets passed (0-{})", listen_fds,
                                  kMaxListenFds));
  }
  if (*count == 0) return result;
  if (listen_fdnames == nullptr) {
    result.names.assign(static_cast<std::size_t>(*count), "unknown");
    return result;
  }
  result.names = split_names(listen_fdnames);
  if (static_cast<long>(result.names.size()) != *count) {
    throw ListenError(fmt::format("LISTEN_FDNAMES={} names {} sockets, but LISTEN_FDS={} passes {}", listen_fdnames,
                                  result.names.size(), listen_fds, *count));
  }
  return result;
}

ListenFds take_listen_fds_from_environment() {
  ListenFds fds = parse_listen_fds(std::getenv("LISTEN_PID"), std::getenv("LISTEN_FDS"), std::getenv("LISTEN_FDNAMES"),
                                   ::getpid());
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  return fds;
}

std::string InheritedSocket::describe() const { return fmt::format("{} (fd {}, {})", endpoint.describe(), fd, name); }

InheritedSocket identify_inherited_socket(int fd, std::string name) {
  const std::string who = fmt::format("socket passed by systemd as fd {} ({})", fd, name);
  struct stat status {};
  if (::fstat(fd, &status) != 0) throw ListenError(fmt::format("{}: not an open descriptor ({})", who, errno_text()));
  if (!S_ISSOCK(status.st_mode)) throw ListenError(fmt::format("{}: not a socket", who));
  const int type = socket_option(fd, SOL_SOCKET, SO_TYPE, who);
  if (type == SOCK_DGRAM) {
    throw ListenError(fmt::format("{}: a datagram socket (ListenDatagram=); grayling serves stream sockets "
                                  "(ListenStream=)",
                                  who));
  }
  if (type != SOCK_STREAM) throw ListenError(fmt::format("{}: not a stream socket (type {})", who, type));
  ListenEndpoint endpoint = bound_endpoint(fd, who);
  if (endpoint.kind == ListenEndpoint::Kind::tcp && socket_option(fd, SOL_SOCKET, SO_PROTOCOL, who) != IPPROTO_TCP) {
    throw ListenError(fmt::format("{}: a stream socket that is not TCP", who));
  }
  if (socket_option(fd, SOL_SOCKET, SO_ACCEPTCONN, who) == 0) {
    throw ListenError(fmt::format("{}: {} is not listening (one connection, as Accept=yes passes? the socket unit "
                                  "must say Accept=no)",
                                  who, endpoint.describe()));
  }
  // Ours to serve, not to hand on: nothing grayling runs may inherit it.
  if (const int flags = ::fcntl(fd, F_GETFD); flags < 0 || ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0) {
    throw ListenError(fmt::format("{}: {}", who, errno_text()));
  }
  return InheritedSocket{fd, std::move(name), std::move(endpoint)};
}

std::vector<InheritedSocket> identify_inherited_sockets(const ListenFds& fds) {
  std::vector<InheritedSocket> sockets;
  for (int i = 0; i < fds.count(); ++i) {
    sockets.push_back(identify_inherited_socket(ListenFds::kFirst + i, fds.names[static_cast<std::size_t>(i)]));
  }
  return sockets;
}

ListenPlan plan_listeners(const std::vector<ListenEndpoint>& configured, std::span<const InheritedSocket> inherited) {
  ListenPlan plan;
  if (configured.empty()) {
    for (const auto& socket : inherited) plan.entries.push_back({socket.endpoint, &socket});
    return plan;
  }
  std::vector<bool> used(inherited.size(), false);
  for (const auto& endpoint : configured) {
    ListenPlan::Entry entry{endpoint, nullptr};
    for (std::size_t i = 0; i < inherited.size(); ++i) {
      if (!used[i] && same_endpoint(endpoint, inherited[i].endpoint)) {
        used[i] = true;
        entry.inherited = &inherited[i];
        break;
      }
    }
    plan.entries.push_back(std::move(entry));
  }
  std::vector<std::string> leftover;
  for (std::size_t i = 0; i < inherited.size(); ++i) {
    if (!used[i]) leftover.push_back(inherited[i].describe());
  }
  if (!leftover.empty()) {
    throw ListenError(fmt::format(
        "systemd passed {} that no --inet or --unix option names: connections there would wait and never be "
        "answered. Name {} in the options, or drop the options and serve what the socket unit gives",
        fmt::join(leftover, " and "), leftover.size() == 1 ? "it" : "them"));
  }
  return plan;
}

}  // namespace grayling
