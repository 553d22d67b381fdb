#pragma once
/// The composition root: builds store, engine, service and server from a Config and runs
/// them until SIGTERM or SIGINT; SIGHUP reloads.

#include <functional>
#include <optional>
#include <string>

#include "grayling/config/config.hpp"
#include "grayling/daemon/systemd_sockets.hpp"

namespace grayling {

/// Re-reads the configuration for SIGHUP: a new Config, or nullopt with `errors` filled.
using ConfigReader = std::function<std::optional<Config>(std::string& errors)>;

/// Runs the daemon in the foreground, serving the sockets `passed` announces (systemd's
/// socket activation) next to or instead of config's listeners. Returns the process exit
/// code: 0 after a graceful stop, non-zero when start-up failed (the reason is logged).
int run_daemon(const Config& config, ConfigReader reread, const ListenFds& passed = {});

}  // namespace grayling
