#pragma once
/// The big senders of a trace: provider pools (Exchange Online-, SES-, Mailchimp-like, three
/// gateways), a hoster that snowshoe spam uses, and the residential lines of a botnet — with
/// the networks, names and SPF records that real ones have. The pools use the providers'
/// real address ranges and names, so the shipped whitelist treats them as it would the real
/// senders.

#include <cstdint>
#include <string>
#include <vector>

#include "random.hpp"
#include "trace.hpp"

namespace delivery {

/// Where the providers went in a trace, for the messages to refer to.
struct Providers {
  std::int32_t exchange = -1;
  std::int32_t ses = -1;
  std::int32_t mailchimp = -1;
  std::int32_t hoster = -1;
  std::int32_t botnet = -1;
  std::vector<std::int32_t> gateways;         // Proofpoint-, Mimecast-, mailspamprotection-like
  std::vector<std::string> gateway_spf;       // the record a gateway's customers include
  std::string exchange_spf;                   // the record Exchange Online tenants include
  std::vector<std::string> snowshoe_domains;  // spam domains whose SPF names the hoster
};

/// Adds the pools, their names and SPF records to `trace`.
[[nodiscard]] Providers add_providers(Trace& trace, Random& random);

}  // namespace delivery
