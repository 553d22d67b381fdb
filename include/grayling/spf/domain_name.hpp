#pragma once
/// Domain names as SPF handles them: which names may be asked of DNS (RFC 7208 4.3), the
/// truncation of long macro expansions (7.3), and the "toplabel" of domain-spec (7.1).

#include <optional>
#include <string>
#include <string_view>

namespace grayling::spf {

/// ASCII lower case; other bytes unchanged.
[[nodiscard]] std::string to_lower(std::string_view text);

/// True when `a` and `b` are equal ignoring ASCII case.
[[nodiscard]] bool equal_ignoring_case(std::string_view a, std::string_view b);

/// `name` without one trailing dot.
[[nodiscard]] std::string_view without_trailing_dot(std::string_view name);

/// True when `name` (one trailing dot allowed) can be asked of DNS: 1 to 253 characters,
/// every label 1 to 63.
[[nodiscard]] bool is_valid_dns_name(std::string_view name);

/// RFC 7208 4.3: a <domain> check_host() can start from: a valid DNS name of two labels
/// or more, not an address literal ("[192.0.2.1]").
[[nodiscard]] bool is_checkable_domain(std::string_view name);

/// A macro-expanded target as a domain (RFC 7208 7.3): the trailing dot dropped, whole
/// labels removed from the left until it fits in 253 characters. A view into `expanded`.
[[nodiscard]] std::string_view fit_name(std::string_view expanded);

/// The DnsQuery name for a macro-expanded target: fit_name() in lower case. nullopt when
/// it cannot be asked of DNS (an empty or over-long label, a single label over 253): the
/// caller treats such a name as non-existent.
[[nodiscard]] std::optional<std::string> query_name(std::string_view expanded);

/// True when `name` is `domain` or a subdomain of it, ignoring case and trailing dots.
[[nodiscard]] bool is_within(std::string_view name, std::string_view domain);

/// RFC 7208 7.1's toplabel: alphanumerics with at least one letter, or alphanumerics and
/// inner hyphens ("xn--zckzah"); never all digits, never a leading or trailing hyphen.
[[nodiscard]] bool is_toplabel(std::string_view label);

}  // namespace grayling::spf
