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
#include "grayling/config/configured_engine.hpp"
#include "grayling/daemon/daemon.hpp"
#include "grayling/daemon/decision_service.hpp"
#include "grayling/daemon/server.hpp"
#include "grayling/metrics/metrics.hpp"
#include "grayling/daemon/systemd_notify.hpp"

namespace grayling {

/// configured_engine() (config/configured_engine.hpp), its warnings and its whitelist
/// sizes logged.
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
  /// --metrics: reloads and whitelist sizes are counted there (on this, the I/O thread).
  void set_metrics(metrics::Metrics* metrics) { metrics_ = metrics; }

 private:
  Config running_;
  ConfigReader reread_;
  Server& server_;
  DecisionService& service_;
  const SystemdNotifier& systemd_;
  metrics::Metrics* metrics_ = nullptr;
};

}  // namespace grayling
