#pragma once
/// Verified-name equivalence, simulated (issue 11 has it planned, not implemented): a retry
/// whose forward-confirmed client_name has the same registrable domain (eTLD+1) as the
/// first attempt's is the same client, unless the name looks like a dynamic address's.

#include <optional>
#include <string>
#include <string_view>

#include "grayling/core/ip_address.hpp"

namespace delivery {

/// The registrable domain of a host name by a small built-in suffix list: the last two
/// labels, or the last three under a listed two-label public suffix (co.uk, com.au, …).
/// nullopt for a name that is itself a public suffix or has one label. The daemon would use
/// the Public Suffix List; the trace's names need no more than this.
[[nodiscard]] std::optional<std::string> registrable_domain(std::string_view host);

/// True when the name looks like one an ISP gives a dynamic or residential line: a keyword
/// (dyn, dhcp, dsl, cable, pool, …) in its own labels, or three or more of the IPv4
/// address's octets as separate numbers. Two are allowed: a8-30.smtp-out.amazonses.com is a
/// real pool name (postgrey's octet rule, dropped in 1.37, broke such pools).
[[nodiscard]] bool looks_dynamic(std::string_view host, const grayling::IpAddress& address);

/// The client part of a key for a client known by its verified name, "name:<eTLD+1>";
/// nullopt for "unknown" (not verified), a dynamic-looking name, or no registrable domain.
[[nodiscard]] std::optional<std::string> verified_name_client(std::string_view client_name,
                                                              const grayling::IpAddress& address);

}  // namespace delivery
