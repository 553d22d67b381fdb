#pragma once
/// What an SPF check concludes (RFC 7208 2.6), and which mechanism decided it with how
/// much of the address space it vouches for: grayling counts a "pass" only when the
/// authorisation is narrow enough to name a sender's servers, not "+all" or a /8.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "grayling/core/ip_address.hpp"

namespace grayling::spf {

/// The seven results of check_host().
enum class Code : std::uint8_t { none, neutral, pass, fail, softfail, temperror, permerror };

/// "none", "neutral", "pass", "fail", "softfail", "temperror" or "permerror".
[[nodiscard]] std::string_view to_string(Code code);
/// The inverse of to_string(); nullopt for anything else.
[[nodiscard]] std::optional<Code> code_from_string(std::string_view text);

/// The mechanisms of RFC 7208 5.
enum class MechanismKind : std::uint8_t { all, include, a, mx, ptr, ip4, ip6, exists };

/// "all", "include", "a", "mx", "ptr", "ip4", "ip6" or "exists".
[[nodiscard]] std::string_view to_string(MechanismKind kind);

/// The mechanism that decided a check. Through include: the mechanism inside the included
/// record that matched (never `include` itself); `includes` lists the way there.
struct Matched {
  MechanismKind mechanism = MechanismKind::all;
  /// The network the mechanism vouched for that holds the client, in the client's family:
  /// ip4/ip6 their network; a/mx the A/AAAA address widened by the cidr-length applied;
  /// all 0.0.0.0/0 or ::/0. Unset for ptr and exists, which vouch by name, not by network.
  std::optional<IpNetwork> network;
  std::string term;                   // the mechanism as written in the record, e.g. "-ip4:192.0.2.0/24"
  std::string domain;                 // whose record holds it
  std::vector<std::string> includes;  // the include: targets passed through, outermost first
  /// How many addresses of the client's family the "+" networks of the records on the way
  /// to the mechanism name together: the record holding it, the records that included it,
  /// and those redirected from (ip4/ip6 whole records; a/mx as far as evaluated, each
  /// address widened by its cidr-length). Not sibling includes passed without a match, nor
  /// all, ptr or exists, which name no network. A double: IPv6 sums pass 2^64.
  double vouched_addresses = 0;

  /// The prefix length vouched for (0 for all); nullopt for ptr and exists.
  [[nodiscard]] std::optional<int> prefix_length() const {
    return network ? std::optional<int>(network->prefix) : std::nullopt;
  }
  friend bool operator==(const Matched&, const Matched&) = default;
};

/// The outcome of one check.
struct Result {
  Code code = Code::none;
  /// The domain checked: the MAIL FROM's, or the HELO name's when MAIL FROM is <>.
  std::string domain;
  /// The domain owner's explanation (exp=) of a "fail"; empty when there is none.
  std::string explanation;
  /// The mechanism that decided; unset when no mechanism matched (none, a record without
  /// a match, temperror, permerror).
  std::optional<Matched> matched;
  /// Why the result is none, temperror or permerror, for the log; empty otherwise.
  std::string problem;
  int dns_mechanisms = 0;  // terms that caused DNS lookups (at most 10 pass)
  int void_lookups = 0;    // of those, answered with NXDOMAIN or no records (at most 2 pass)
};

}  // namespace grayling::spf
