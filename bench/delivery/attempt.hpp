#pragma once
/// One delivery attempt of a trace message, and the policy request Postfix sends for it.

#include <string>

#include "grayling/core/ip_address.hpp"
#include "grayling/core/policy_request.hpp"
#include "trace.hpp"

namespace delivery {

/// What the receiving Postfix sees of attempt `n` of a message.
struct Attempt {
  grayling::IpAddress client;
  std::string client_name;  // verified, or "unknown"
  std::string helo;
  std::string sender;
};

/// Attempt `n` (0 is the first) of `message`: the same in every configuration. Pool
/// senders draw an address per attempt; fresh-sender classes draw a new bounce id.
[[nodiscard]] Attempt attempt_of(const Trace& trace, const Message& message, int n);

/// The RCPT-stage request of an attempt, as Postfix's check_policy_service sends it.
[[nodiscard]] grayling::PolicyRequest request_of(const Attempt& attempt, const Message& message);

}  // namespace delivery
