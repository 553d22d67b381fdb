#pragma once
/// Listening sockets held by the test the way systemd holds a socket unit's: bound and
/// listening before any daemon starts, passed to each daemon it starts (descriptors 3, 4,
/// ... with LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES), and kept open across restarts, so
/// that connections made meanwhile wait in the backlog. For tests without systemd as PID 1.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/daemon_process.hpp"

namespace grayling::test {

class HeldSocket {
 public:
  /// A TCP socket listening on the numeric address `host` and `port` (0: the kernel picks
  /// one; port() tells which). Throws std::system_error.
  static HeldSocket tcp(const std::string& host, std::uint16_t port = 0, const std::string& name = "grayling.socket");
  /// A TCP socket on [::] that takes IPv4 connections too (their peers show as
  /// ::ffff:a.b.c.d), as systemd binds `ListenStream=PORT` (BindIPv6Only=default).
  static HeldSocket tcp_dual_stack(std::uint16_t port = 0, const std::string& name = "grayling.socket");
  /// A unix stream socket listening at `path`, mode 0666 as SocketMode= would make it.
  static HeldSocket unix_stream(const std::string& path, const std::string& name = "grayling.socket");
  /// Any descriptor, passed as if it were a socket: for tests of what grayling refuses.
  static HeldSocket adopt(int fd, const std::string& name);

  HeldSocket(HeldSocket&& other) noexcept;
  HeldSocket& operator=(HeldSocket&& other) noexcept;
  HeldSocket(const HeldSocket&) = delete;
  HeldSocket& operator=(const HeldSocket&) = delete;
  ~HeldSocket();

  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  HeldSocket(int fd, std::uint16_t port, std::string name) : fd_(fd), port_(port), name_(std::move(name)) {}
  static HeldSocket listen_tcp(const std::string& host, std::uint16_t port, const std::string& name, bool v6_only);
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::string name_;
};

/// The environment entries systemd sets for `sockets` (LISTEN_PID is the child's own and
/// is set by DaemonProcess through PassedFds).
std::vector<std::string> listen_fds_environment(const std::vector<const HeldSocket*>& sockets);

/// Starts `binary args` as systemd starts a socket-activated service: `sockets` as
/// descriptors 3, 4, ... with LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID set for it.
std::unique_ptr<DaemonProcess> start_with_sockets(const std::string& binary, const std::vector<std::string>& args,
                                                  const std::string& log_path,
                                                  const std::vector<const HeldSocket*>& sockets,
                                                  const std::vector<std::string>& extra_env = {});

}  // namespace grayling::test
