#pragma once
/// The baseline: a policy "server" that answers every request "action=DUNNO" and stores
/// nothing, so a daemon's results can be read as a fraction of what loopback and the
/// generator themselves allow on the same machine in the same run.

#include "endpoint.hpp"

namespace bench {

/// Serves until SIGTERM or SIGINT; returns the exit code.
int run_baseline_server(const Endpoint& endpoint);

}  // namespace bench
