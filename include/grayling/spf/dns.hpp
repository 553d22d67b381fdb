#pragma once
/// The DNS vocabulary between the SPF evaluator and whoever resolves for it: the evaluator
/// names the queries it needs, the caller (libunbound in the daemon, a stub in tests)
/// brings back the answers.

#include <compare>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace grayling::spf {

/// The record types SPF evaluation asks for. Type SPF (99) is obsolete (RFC 7208 3.1).
enum class DnsType : std::uint8_t { a, aaaa, txt, mx, ptr };

/// "A", "AAAA", "TXT", "MX" or "PTR".
[[nodiscard]] std::string_view to_string(DnsType type);

/// One question. `name` is lower case without a trailing dot, in plain text: labels joined
/// by '.', no escapes. A label may hold any other byte (SPF macros can put a space or a
/// '%' there), so a resolver that takes presentation format must escape it.
struct DnsQuery {
  std::string name;
  DnsType type = DnsType::a;
  friend auto operator<=>(const DnsQuery&, const DnsQuery&) = default;
};

/// The answer to one DnsQuery, after CNAMEs were followed.
struct DnsAnswer {
  enum class Status : std::uint8_t {
    ok,        // NOERROR; `records` holds the data (none is the same as no_data)
    nxdomain,  // RCODE 3: the name does not exist
    no_data,   // NOERROR without records of the type
    error,     // SERVFAIL, REFUSED, a CNAME loop, a malformed reply...
    timeout,   // no answer in time
  };
  Status status = Status::ok;
  /// A/AAAA: addresses as text. TXT: one string per record, its character-strings
  /// concatenated without separator. MX: "preference host" or just "host" ("." or an empty
  /// host is a null MX). PTR: host names. Trailing dots are allowed on names.
  std::vector<std::string> records;

  static DnsAnswer with(std::vector<std::string> records) { return {Status::ok, std::move(records)}; }
  static DnsAnswer of(Status status) { return {status, {}}; }
  /// True when the lookup failed (RFC 7208 5: a "temperror" where a mechanism needs it).
  [[nodiscard]] bool failed() const { return status == Status::error || status == Status::timeout; }
  /// RFC 7208 4.6.4's "void lookup": NXDOMAIN, or NOERROR with no records.
  [[nodiscard]] bool is_void() const { return !failed() && (status != Status::ok || records.empty()); }
  /// The records of a successful answer; none otherwise.
  [[nodiscard]] std::span<const std::string> data() const {
    return status == Status::ok ? std::span<const std::string>(records) : std::span<const std::string>();
  }
};

}  // namespace grayling::spf
