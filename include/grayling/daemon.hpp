#pragma once
/// The composition root: builds store, engine, service and server from a Config and runs
/// them until SIGTERM or SIGINT.

#include "grayling/config.hpp"

namespace grayling {

/// Runs the daemon in the foreground. Returns the process exit code: 0 after a graceful
/// stop, non-zero when start-up failed (the reason is logged).
int run_daemon(const Config& config);

}  // namespace grayling
