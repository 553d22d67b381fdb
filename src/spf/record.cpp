#include "grayling/spf/record.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "grayling/spf/domain_name.hpp"

namespace grayling::spf {
namespace {

constexpr std::string_view kVersion = "v=spf1";

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

constexpr std::array<std::pair<std::string_view, MechanismKind>, 8> kMechanisms{{
    {"all", MechanismKind::all},
    {"include", MechanismKind::include},
    {"a", MechanismKind::a},
    {"mx", MechanismKind::mx},
    {"ptr", MechanismKind::ptr},
    {"ip4", MechanismKind::ip4},
    {"ip6", MechanismKind::ip6},
    {"exists", MechanismKind::exists},
}};

// The length of a modifier's name at the start of `term` when a '=' follows it, else 0:
// name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ).
std::size_t modifier_name_length(std::string_view term) {
  if (term.empty() || !is_alpha(term.front())) return 0;
  std::size_t i = 1;
  const auto name_char = [](char c) { return is_alpha(c) || is_digit(c) || c == '-' || c == '_' || c == '.'; };
  while (i < term.size() && name_char(term[i])) ++i;
  return i < term.size() && term[i] == '=' ? i : 0;
}

// A cidr-length: "0" or a number without leading zeros, at most `max`.
std::optional<int> parse_cidr(std::string_view digits, int max) {
  if (digits.empty() || digits.size() > 3 || (digits.size() > 1 && digits.front() == '0')) return std::nullopt;
  int value = 0;
  for (const char c : digits) {
    if (!is_digit(c)) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value <= max ? std::optional<int>(value) : std::nullopt;
}

// Removes a trailing "/digits" (or "//digits" when `marker` is "//") from `text`; returns
// the digits, or an empty view when there is no such suffix.
std::string_view take_cidr_suffix(std::string_view& text, std::string_view marker) {
  std::size_t start = text.size();
  while (start > 0 && is_digit(text[start - 1])) --start;
  if (start == text.size() || !text.substr(0, start).ends_with(marker)) return {};
  const std::string_view digits = text.substr(start);
  text.remove_suffix(digits.size() + marker.size());
  return digits;
}

// dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ], taken off the end of
// `text` (a domain-spec cannot end in one, so the split is unambiguous).
bool take_dual_cidr(std::string_view& text, Directive& directive, std::string& error) {
  if (const std::string_view six = take_cidr_suffix(text, "//"); !six.empty()) {
    const auto length = parse_cidr(six, 128);
    if (!length) {
      error = "bad ip6-cidr-length in \"" + directive.text + "\"";
      return false;
    }
    directive.cidr6 = *length;
  }
  if (const std::string_view four = take_cidr_suffix(text, "/"); !four.empty()) {
    const auto length = parse_cidr(four, 32);
    if (!length) {
      error = "bad ip4-cidr-length in \"" + directive.text + "\"";
      return false;
    }
    directive.cidr4 = *length;
  }
  return true;
}

bool parse_target(std::string_view spec, Directive& directive, std::string& error) {
  if (spec.empty()) {
    error = "empty domain in \"" + directive.text + "\"";
    return false;
  }
  directive.target = parse_macro_string(spec, MacroContext::domain_spec, error);
  return directive.target.has_value();
}

// ip4:ADDRESS[/LEN] or ip6:ADDRESS[/LEN]; `rest` starts after the mechanism's name.
bool parse_network(std::string_view rest, Directive& directive, std::string& error) {
  const bool v4 = directive.kind == MechanismKind::ip4;
  const auto bad = [&] {
    error = "bad " + std::string(v4 ? "ip4" : "ip6") + " network in \"" + directive.text + "\"";
    return false;
  };
  if (rest.empty() || rest.front() != ':') return bad();
  rest.remove_prefix(1);
  const std::size_t slash = rest.find('/');
  const auto address = IpAddress::parse(rest.substr(0, slash));
  if (!address || address->family != (v4 ? IpAddress::Family::v4 : IpAddress::Family::v6)) return bad();
  int prefix = address->bit_count();
  if (slash != std::string_view::npos) {
    const auto length = parse_cidr(rest.substr(slash + 1), address->bit_count());
    if (!length) return bad();
    prefix = *length;
  }
  directive.network = IpNetwork{address->masked(prefix), prefix};
  return true;
}

bool parse_directive(std::string_view term, Directive& directive, std::string& error) {
  directive.text = std::string(term);
  if (!term.empty() && std::string_view("+-~?").find(term.front()) != std::string_view::npos) {
    directive.qualifier = static_cast<Qualifier>(term.front());
    term.remove_prefix(1);
  }
  const std::size_t name_end = std::min(term.find(':'), term.find('/'));
  const std::string_view name = term.substr(0, name_end);
  std::string_view rest = name_end == std::string_view::npos ? std::string_view() : term.substr(name_end);
  const auto known = std::find_if(kMechanisms.begin(), kMechanisms.end(),
                                  [name](const auto& entry) { return equal_ignoring_case(entry.first, name); });
  if (known == kMechanisms.end()) {
    error = "unknown mechanism \"" + directive.text + "\"";
    return false;
  }
  directive.kind = known->second;
  switch (directive.kind) {
    case MechanismKind::all:
      if (rest.empty()) return true;
      error = "\"all\" takes no argument: \"" + directive.text + "\"";
      return false;
    case MechanismKind::include:
    case MechanismKind::exists:
      if (rest.empty() || rest.front() != ':') {
        error = "\"" + directive.text + "\" needs a domain";
        return false;
      }
      return parse_target(rest.substr(1), directive, error);
    case MechanismKind::ptr:
      if (rest.empty()) return true;
      if (rest.front() != ':') {
        error = "\"ptr\" takes no cidr-length: \"" + directive.text + "\"";
        return false;
      }
      return parse_target(rest.substr(1), directive, error);
    case MechanismKind::a:
    case MechanismKind::mx:
      if (!take_dual_cidr(rest, directive, error)) return false;
      if (rest.empty()) return true;
      if (rest.front() != ':') {
        error = "bad cidr-length in \"" + directive.text + "\"";
        return false;
      }
      return parse_target(rest.substr(1), directive, error);
    case MechanismKind::ip4:
    case MechanismKind::ip6:
      return parse_network(rest, directive, error);
  }
  return false;
}

// A known modifier's domain-spec, at most once per record (RFC 7208 6).
bool parse_modifier_target(std::string_view name, std::string_view value, std::optional<MacroString>& slot,
                           std::string& error) {
  if (slot) {
    error = std::string(name) + "= appears twice";
    return false;
  }
  slot = parse_macro_string(value, MacroContext::domain_spec, error);
  if (!slot) error = std::string(name) + "=: " + error;
  return slot.has_value();
}

bool parse_term(std::string_view term, Record& record, std::string& error) {
  if (const std::size_t name_length = modifier_name_length(term)) {
    const std::string_view name = term.substr(0, name_length);
    const std::string_view value = term.substr(name_length + 1);
    if (equal_ignoring_case(name, "redirect")) return parse_modifier_target("redirect", value, record.redirect, error);
    if (equal_ignoring_case(name, "exp")) return parse_modifier_target("exp", value, record.explanation, error);
    // Unknown modifiers are ignored (RFC 7208 6), but their macros must be well formed.
    return parse_macro_string(value, MacroContext::modifier, error).has_value();
  }
  Directive directive;
  if (!parse_directive(term, directive, error)) return false;
  record.directives.push_back(std::move(directive));
  return true;
}

}  // namespace

Code code_of(Qualifier qualifier) {
  switch (qualifier) {
    case Qualifier::pass: return Code::pass;
    case Qualifier::fail: return Code::fail;
    case Qualifier::softfail: return Code::softfail;
    case Qualifier::neutral: return Code::neutral;
  }
  return Code::neutral;
}

bool Directive::needs_dns() const {
  return kind == MechanismKind::include || kind == MechanismKind::a || kind == MechanismKind::mx ||
         kind == MechanismKind::ptr || kind == MechanismKind::exists;
}

bool is_spf_record(std::string_view txt) {
  return txt.size() >= kVersion.size() && equal_ignoring_case(txt.substr(0, kVersion.size()), kVersion) &&
         (txt.size() == kVersion.size() || txt[kVersion.size()] == ' ');
}

std::optional<Record> parse_record(std::string_view text, std::string& error) {
  if (!is_spf_record(text)) {
    error = "not an SPF record";
    return std::nullopt;
  }
  Record record;
  // Terms are separated by one or more spaces, and by nothing else (RFC 7208 4.6.1): a tab
  // or a line break inside a term makes it invalid.
  std::string_view rest = text.substr(kVersion.size());
  while (!rest.empty()) {
    const std::size_t start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const std::size_t end = rest.find(' ');
    if (!parse_term(rest.substr(0, end), record, error)) return std::nullopt;
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  }
  return record;
}

}  // namespace grayling::spf
