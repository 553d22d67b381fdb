#pragma once
/// What a reload changes: the running and the newly read configuration, compared field
/// by field. Pure: the daemon applies the result.

#include <string>
#include <vector>

#include "grayling/config/config.hpp"

namespace grayling {

/// One setting that differs between the running and a newly read configuration.
struct ConfigChange {
  std::string field;  // the option's long name, as in the config file
  bool live = false;  // a reload applies it; otherwise it takes a restart
  friend bool operator==(const ConfigChange&, const ConfigChange&) = default;
};

/// Every setting that differs, in the order of grayling.conf. Settings a reload applies:
/// the engine's (timing, keys, replies, auto-whitelist, whitelist files), the server's
/// per-connection ones (limits, idle timeout, max connections, --exim, --no-action,
/// --allow-from), the store thread's (sync, expiry interval, store-error-action, store
/// timeout) and the verbosity. The rest (listeners, socket mode, backlog, store, dbdir,
/// user, group, pidfile, syslog) takes a restart.
[[nodiscard]] std::vector<ConfigChange> compare_configs(const Config& running, const Config& fresh);

/// `fresh`, with every setting that takes a restart set back to its running value.
[[nodiscard]] Config keep_restart_settings(const Config& running, Config fresh);

}  // namespace grayling
