#pragma once
/// Listening sockets handed over by systemd's socket activation (sd_listen_fds(3)), or by
/// anything that follows the same protocol (systemd-socket-activate, a test harness).
///
/// systemd binds the sockets of grayling.socket itself and passes them to every grayling
/// it starts as descriptors 3, 4, ... with LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES in the
/// environment. While grayling restarts, connections wait in those sockets' backlog instead
/// of being refused. Implemented by hand, as SystemdNotifier is: a few lines, no libsystemd.

#include <sys/types.h>

#include <span>
#include <string>
#include <vector>

#include "grayling/core/listen_endpoint.hpp"

namespace grayling {

/// What LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES say, before any descriptor is looked at.
struct ListenFds {
  static constexpr int kFirst = 3;  // SD_LISTEN_FDS_START
  /// One name per descriptor, kFirst onwards: FileDescriptorName= (default: the socket
  /// unit's name), or "unknown" where systemd gave none.
  std::vector<std::string> names;
  /// Why variables that were set were not for us (LISTEN_PID names another process), for
  /// the log; empty otherwise.
  std::string ignored;

  [[nodiscard]] int count() const { return static_cast<int>(names.size()); }
};

/// Reads the three variables' values (nullptr where unset) for the process `self`. Values
/// meant for another process are ignored, as sd_listen_fds(3) does; malformed ones meant
/// for us throw ListenError, so a broken unit is a clear start-up error and not silence.
[[nodiscard]] ListenFds parse_listen_fds(const char* listen_pid, const char* listen_fds, const char* listen_fdnames,
                                         pid_t self);

/// parse_listen_fds() on this process's environment, then unsets the three variables so
/// that no child process takes the descriptors for its own.
[[nodiscard]] ListenFds take_listen_fds_from_environment();

/// A descriptor systemd passed, checked and identified.
struct InheritedSocket {
  int fd = -1;
  std::string name;         // from LISTEN_FDNAMES
  ListenEndpoint endpoint;  // the address it is bound to

  /// "127.0.0.1:10023 (fd 3, grayling.socket)", for logs and errors.
  [[nodiscard]] std::string describe() const;
};

/// Checks that descriptor `fd` is a listening stream socket (TCP over IPv4 or IPv6, or
/// unix) and reads its address. Throws ListenError saying what it is instead: not open,
/// not a socket, a datagram socket (ListenDatagram=), a connected socket (Accept=yes), a
/// socket of another family. Marks it close-on-exec.
[[nodiscard]] InheritedSocket identify_inherited_socket(int fd, std::string name);

/// identify_inherited_socket() for every descriptor `fds` announces.
[[nodiscard]] std::vector<InheritedSocket> identify_inherited_sockets(const ListenFds& fds);

/// Which inherited socket serves which listener: the daemon's whole listening plan.
struct ListenPlan {
  struct Entry {
    ListenEndpoint endpoint;
    const InheritedSocket* inherited = nullptr;  // null: grayling binds the endpoint itself
  };
  std::vector<Entry> entries;
};

/// Matches the listeners the options ask for (--inet, --unix) with the sockets systemd
/// passed, by address. Without options, every inherited socket is used. With options,
/// each one is served by the inherited socket with its address, or else bound by grayling
/// itself; an inherited socket no option names is a ListenError, because connections to it
/// would wait in its backlog with nobody ever answering.
[[nodiscard]] ListenPlan plan_listeners(const std::vector<ListenEndpoint>& configured,
                                        std::span<const InheritedSocket> inherited);

}  // namespace grayling
