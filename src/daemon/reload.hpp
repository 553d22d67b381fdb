#pragma once
// Building what a Config describes, and SIGHUP: read the configuration again, compare it
// with the running one field by field, apply every setting that can change live, warn
// about each one that takes a restart, and keep everything if anything is wrong.

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "grayling/config/config.hpp"
#include "grayling/daemon/daemon.hpp"
#include "grayling/daemon/decision_service.hpp"
#include "grayling/daemon/server.hpp"
#include "grayling/daemon/systemd_notify.hpp"

namespace grayling {

/// A whitelist file that must be read could not be; the message names each one.
class WhitelistError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An engine with freshly read whitelists. Bad lines are logged and skipped. A file that
/// cannot be read is an error (WhitelistError) when it was named explicitly, exists but
/// is unreadable, or is in `must_read` (the files the running engine was built from);
/// only a missing default file is a warning.
[[nodiscard]] std::shared_ptr<const PolicyEngine> build_engine(const Config& config,
                                                               const std::vector<std::string>& must_read = {});

/// What the sessions need of a Config.
[[nodiscard]] SessionSettings session_settings(const Config& config);

/// Applies log settings that can change while running (the verbosity).
void apply_log_level(const LogSettings& settings);

/// Owns the running Config and reloads it on SIGHUP; lives on the I/O thread.
class Reloader {
 public:
  Reloader(Config running, ConfigReader reread, Server& server, DecisionService& service,
           const SystemdNotifier& systemd);

  /// One reload, all or nothing. Never throws: a failure is logged and changes nothing.
  void reload();

 private:
  Config running_;
  ConfigReader reread_;
  Server& server_;
  DecisionService& service_;
  const SystemdNotifier& systemd_;
};

}  // namespace grayling
