#pragma once
// Crash-safety scenarios share one shape: clients send new triplets until the daemon is
// interrupted, remembering every request the daemon acknowledged with a greylist reply;
// after a restart each of those must pass. This is that shape, once.

#include <functional>
#include <string>
#include <vector>

#include "support/policy_client.hpp"

namespace grayling::test {

/// What a load run saw.
struct AcknowledgedLoad {
  std::vector<std::string> acknowledged;  // requests answered with the greylist reply
  std::vector<std::string> unexpected;    // any other reply
  std::vector<std::string> endings;       // why each client stopped (its last error)
  int acks_at_interrupt = 0;
};

/// One thread per client sends new triplets (client network `network`.N, recipients at
/// `domain`), at most `max_per_client` each. Once `interrupt_after` acknowledgements
/// arrived (or after 20 s), calls `interrupt` while requests are still in flight, then
/// waits for every client to stop.
AcknowledgedLoad run_acknowledged_load(std::vector<PolicyClient>& clients, const std::string& network,
                                       const std::string& domain, int max_per_client, int interrupt_after,
                                       const std::function<void()>& interrupt);

/// Sends every acknowledged request again, pipelined on `client`; each must now be the
/// first pass of its triplet. Reports each lost one (up to a few) as a test failure.
void expect_every_acknowledged_triplet_passes(PolicyClient& client, const std::vector<std::string>& acknowledged,
                                              const std::string& cause);

}  // namespace grayling::test
