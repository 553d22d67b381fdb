#pragma once
/// A day of mail to one site, as data: who sends what to whom, from which servers or pools,
/// and the DNS that describes the senders. The same seed gives the same trace.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "grayling/core/ip_address.hpp"
#include "retry_schedule.hpp"
#include "sender_class.hpp"
#include "stub_dns.hpp"

namespace delivery {

/// An organisation's own outbound server; a deferred message stays in its queue.
struct Server {
  grayling::IpAddress v4;
  std::optional<grayling::IpAddress> v6;
  // Dual stack with Postfix's smtp_address_preference=any: each attempt over either family.
  // Other dual-stack servers keep to IPv6.
  bool either_family = false;
  std::string helo;
  Seconds phase = 0;  // its queue runs happen at phase + k * interval
};

/// A provider's outbound pool (or a botnet's address space).
struct Pool {
  std::string label;
  std::vector<grayling::IpNetwork> networks;
  std::string helo;  // what its unnamed addresses say in HELO
};

/// One message to one recipient.
struct Message {
  ClassId sender_class = ClassId::postfix;
  std::string sender;  // fresh-sender classes make a new one for each attempt (attempt_of)
  std::string recipient;
  Seconds arrival = 0;
  std::uint64_t seed = 0;    // its draws: attempt n is the same in every configuration
  int max_attempts = 0;      // 0: until delivered or the sender gives up
  std::int32_t server = -1;  // an own MTA's: index into Trace::servers
  std::int32_t pool = -1;    // otherwise: index into Trace::pools
};

/// Everything a replay needs.
struct Trace {
  Seconds start = 0;
  Seconds span = 0;  // messages arrive in [start, start + span)
  std::vector<Server> servers;
  std::vector<Pool> pools;
  std::vector<Message> messages;
  StubDns dns;
};

/// How big a trace to make.
struct TraceOptions {
  std::uint64_t seed = 1;
  std::size_t legitimate = 1200;
  std::size_t spam = 5000;
  Seconds start = 1767225600;  // 2026-01-01 00:00 UTC
  Seconds span = 86400;
};

[[nodiscard]] Trace generate_trace(const TraceOptions& options);

}  // namespace delivery
