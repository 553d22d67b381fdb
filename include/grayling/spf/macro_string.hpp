#pragma once
/// SPF macro-strings (RFC 7208 7): parsing with every syntax rule checked up front, and
/// expansion from given values. No DNS here: %{p} needs lookups, so the caller resolves it
/// first when uses('p') says so.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace grayling::spf {

/// Where a macro-string is written; the rules differ (RFC 7208 7.1).
enum class MacroContext : std::uint8_t {
  domain_spec,  // a mechanism's target, redirect=, exp=: letters s l o d i p h v only, and
                // it must end in a macro or "." toplabel [ "." ]
  modifier,     // an unknown modifier's value: any macro letter; never expanded
  explanation,  // the TXT record exp= names: also c, r, t, and spaces
};

/// One "%{...}" macro, e.g. %{l2r-}.
struct Macro {
  char letter = 'd';        // lower case
  bool url_escape = false;  // written in upper case (%{L}): the value is URL-escaped
  int keep = 0;             // right-hand parts to keep; 0 keeps all
  bool reverse = false;
  std::string delimiters;   // what to split on; empty means "."
  friend bool operator==(const Macro&, const Macro&) = default;
};

/// A parsed macro-string: literal text (%%, %_ and %- already decoded) and macros in order.
struct MacroString {
  std::vector<std::variant<std::string, Macro>> parts;

  /// True when some macro uses `letter` (lower case).
  [[nodiscard]] bool uses(char letter) const;
  friend bool operator==(const MacroString&, const MacroString&) = default;
};

/// Parses `text`; nullopt with the reason in `error` on any syntax error (an unknown or
/// misplaced letter, a '%' not starting a macro, a byte outside printable ASCII, a
/// domain-spec not ending in a toplabel or macro...).
[[nodiscard]] std::optional<MacroString> parse_macro_string(std::string_view text, MacroContext context,
                                                            std::string& error);

/// What the macro letters stand for (RFC 7208 7.3).
struct MacroValues {
  std::string sender;          // s: <sender>, with "postmaster" for a missing local part
  std::string local_part;      // l
  std::string sender_domain;   // o
  std::string domain;          // d: the current <domain>
  std::string ip;              // i: dotted_address()
  std::string validated_name;  // p: the validated domain name of the client, or "unknown"
  std::string ip_version;      // v: "in-addr" or "ip6"
  std::string helo;            // h
  std::string client;          // c: the address in its usual text form
  std::string receiver;        // r: the checking host's name
  std::string timestamp;       // t: seconds since the epoch
};

/// The text `macros` stands for: each macro's value split on its delimiters, reversed if
/// asked, cut to its right-hand `keep` parts, joined with ".", URL-escaped if upper case.
[[nodiscard]] std::string expand(const MacroString& macros, const MacroValues& values);

}  // namespace grayling::spf
