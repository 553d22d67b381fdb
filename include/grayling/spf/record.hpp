#pragma once
/// SPF records (RFC 7208 4.5, 4.6, 5, 6): telling them apart from other TXT records, and
/// parsing one whole, so that a syntax error anywhere is found before any mechanism is
/// evaluated (4.6: "permerror" even when an earlier mechanism would have matched).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "grayling/core/ip_address.hpp"
#include "grayling/spf/macro_string.hpp"
#include "grayling/spf/result.hpp"

namespace grayling::spf {

/// A directive's qualifier, spelt as in the record.
enum class Qualifier : char { pass = '+', fail = '-', softfail = '~', neutral = '?' };

/// The result a matching directive with this qualifier gives.
[[nodiscard]] Code code_of(Qualifier qualifier);

/// One mechanism with its qualifier (RFC 7208 4.6.2).
struct Directive {
  Qualifier qualifier = Qualifier::pass;
  MechanismKind kind = MechanismKind::all;
  /// include and exists: always set. a, mx, ptr: set when written; otherwise <domain>.
  std::optional<MacroString> target;
  int cidr4 = 32;    // a, mx: the ip4-cidr-length applied to the A records
  int cidr6 = 128;   // a, mx: the ip6-cidr-length applied to the AAAA records
  IpNetwork network;  // ip4, ip6
  std::string text;   // as written

  /// True for the terms that count against the limit of 10 DNS lookups (RFC 7208 4.6.4).
  [[nodiscard]] bool needs_dns() const;
};

/// A parsed SPF record.
struct Record {
  std::vector<Directive> directives;      // in order
  std::optional<MacroString> redirect;    // redirect=
  std::optional<MacroString> explanation;  // exp=
};

/// True when a TXT record is an SPF record: "v=spf1" in any case, alone or followed by a
/// space (RFC 7208 4.5). Other TXT records are none of SPF's business.
[[nodiscard]] bool is_spf_record(std::string_view txt);

/// Parses an SPF record; nullopt with the reason in `error` on any syntax error.
[[nodiscard]] std::optional<Record> parse_record(std::string_view text, std::string& error);

}  // namespace grayling::spf
