// The text forms of the SPF vocabulary: result codes, mechanisms, DNS types.
#include <algorithm>
#include <array>
#include <utility>

#include "grayling/spf/dns.hpp"
#include "grayling/spf/result.hpp"

namespace grayling::spf {
namespace {

constexpr std::array<std::pair<Code, std::string_view>, 7> kCodes{{
    {Code::none, "none"},
    {Code::neutral, "neutral"},
    {Code::pass, "pass"},
    {Code::fail, "fail"},
    {Code::softfail, "softfail"},
    {Code::temperror, "temperror"},
    {Code::permerror, "permerror"},
}};

}  // namespace

std::string_view to_string(Code code) {
  for (const auto& [value, text] : kCodes) {
    if (value == code) return text;
  }
  return "none";
}

std::optional<Code> code_from_string(std::string_view text) {
  for (const auto& [value, name] : kCodes) {
    if (name == text) return value;
  }
  return std::nullopt;
}

std::string_view to_string(MechanismKind kind) {
  switch (kind) {
    case MechanismKind::all: return "all";
    case MechanismKind::include: return "include";
    case MechanismKind::a: return "a";
    case MechanismKind::mx: return "mx";
    case MechanismKind::ptr: return "ptr";
    case MechanismKind::ip4: return "ip4";
    case MechanismKind::ip6: return "ip6";
    case MechanismKind::exists: return "exists";
  }
  return "all";
}

std::string_view to_string(DnsType type) {
  switch (type) {
    case DnsType::a: return "A";
    case DnsType::aaaa: return "AAAA";
    case DnsType::txt: return "TXT";
    case DnsType::mx: return "MX";
    case DnsType::ptr: return "PTR";
  }
  return "A";
}

}  // namespace grayling::spf
