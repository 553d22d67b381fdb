#pragma once
/// SenderAuthority by SPF: runs the RFC 7208 check (grayling/spf) over a Resolver, and
/// counts a pass only when the authorisation is narrow enough to name the sender's own
/// servers.

#include <functional>
#include <memory>
#include <string>

#include "grayling/dns/dns_health.hpp"
#include "grayling/dns/resolver.hpp"
#include "grayling/dns/sender_authority.hpp"
#include "grayling/spf/result.hpp"

namespace grayling::dns {

/// Whether a result makes the client one of the domain's servers for greylisting: a pass
/// by an ip4, ip6, a or mx network no wider than IPv4 /12 or IPv6 /32 (real pools are
/// narrower: Office 365's widest is a /14, Google's a /16 and /36), whose record and the
/// records on the way to it name no more addresses than one such network together. Not
/// +all, not a /8, not 4,096 /12s, not ptr or exists (their breadth is unknown: "ptr:co.uk",
/// a wildcard under "exists:%{i}.…"): a forged sender could then retry from any bot.
[[nodiscard]] bool names_the_senders_servers(const spf::Result& result);

/// How an SPF authority judges its resolver, and its clock (tests bring their own).
struct SpfAuthoritySettings {
  DnsHealth::Settings health;
  std::function<DnsHealth::Clock::time_point()> clock = [] { return DnsHealth::Clock::now(); };
};

/// The SenderAuthority of the daemon; `resolver` must outlive it. `warn` hears when DNS
/// stops answering in time (SPF is then not asked for a while) and when it is back.
[[nodiscard]] std::unique_ptr<SenderAuthority> make_spf_authority(Resolver& resolver,
                                                                  std::function<void(const std::string&)> warn = {},
                                                                  SpfAuthoritySettings settings = {});

}  // namespace grayling::dns
