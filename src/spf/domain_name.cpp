#include "grayling/spf/domain_name.hpp"

#include <algorithm>

namespace grayling::spf {
namespace {

constexpr std::size_t kMaxName = 253;  // RFC 1035 2.3.4 in text form, without the final dot
constexpr std::size_t kMaxLabel = 63;

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Every label of `name` (no trailing dot) is 1 to 63 characters, the whole at most 253.
bool labels_fit(std::string_view name) {
  if (name.empty() || name.size() > kMaxName) return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = name.find('.', start);
    const std::size_t length = (dot == std::string_view::npos ? name.size() : dot) - start;
    if (length == 0 || length > kMaxLabel) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

}  // namespace

std::string to_lower(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(), lower);
  return result;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return lower(x) == lower(y);
         });
}

std::string_view without_trailing_dot(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return name;
}

bool is_valid_dns_name(std::string_view name) { return labels_fit(without_trailing_dot(name)); }

bool is_checkable_domain(std::string_view name) {
  return is_valid_dns_name(name) && name.front() != '[' &&
         without_trailing_dot(name).find('.') != std::string_view::npos;
}

std::string_view fit_name(std::string_view expanded) {
  std::string_view name = without_trailing_dot(expanded);
  while (name.size() > kMaxName) {
    const std::size_t dot = name.find('.');
    if (dot == std::string_view::npos) break;  // one label too long: left for the caller to refuse
    name.remove_prefix(dot + 1);
  }
  return name;
}

std::optional<std::string> query_name(std::string_view expanded) {
  const std::string_view name = fit_name(expanded);
  if (!labels_fit(name)) return std::nullopt;
  return to_lower(name);
}

bool is_within(std::string_view name, std::string_view domain) {
  name = without_trailing_dot(name);
  domain = without_trailing_dot(domain);
  if (domain.empty() || name.size() < domain.size()) return false;
  const std::string_view tail = name.substr(name.size() - domain.size());
  if (!equal_ignoring_case(tail, domain)) return false;
  return name.size() == domain.size() || name[name.size() - domain.size() - 1] == '.';
}

bool is_toplabel(std::string_view label) {
  if (label.empty()) return false;
  bool has_alpha = false;
  bool has_hyphen = false;
  for (const char c : label) {
    if (c == '-') {
      has_hyphen = true;
    } else if (is_alpha(c)) {
      has_alpha = true;
    } else if (!is_digit(c)) {
      return false;
    }
  }
  // ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
  if (has_hyphen) return label.front() != '-' && label.back() != '-';
  return has_alpha;
}

}  // namespace grayling::spf
