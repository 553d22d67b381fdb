#pragma once
/// Readiness for systemd's Type=notify, spoken directly on $NOTIFY_SOCKET (sd_notify(3)'s
/// datagram protocol) so grayling needs no libsystemd.

#include <string>
#include <string_view>

namespace grayling {

/// Sends state lines such as "READY=1" to the service manager; a no-op when not under one.
class SystemdNotifier {
 public:
  /// Reads $NOTIFY_SOCKET once.
  SystemdNotifier();

  /// Sends `state` (e.g. "READY=1\nSTATUS=listening"); returns false if it could not.
  bool notify(std::string_view state) const;

  [[nodiscard]] bool enabled() const { return !socket_path_.empty(); }

 private:
  std::string socket_path_;
};

}  // namespace grayling
