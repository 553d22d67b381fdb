#include "grayling/spf/macro_string.hpp"

#include <algorithm>

#include "grayling/spf/domain_name.hpp"

namespace grayling::spf {
namespace {

constexpr std::string_view kDelimiters = ".-+,/_=";
constexpr std::string_view kLetters = "slodiphcrtv";
constexpr std::string_view kExplanationOnly = "crt";
// A larger count keeps every part anyway (no SPF value has a thousand parts); capping it
// keeps the arithmetic small.
constexpr int kMaxKeep = 1000;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }

// macro-literal = %x21-24 / %x26-7E (every visible character but '%')
bool is_literal(char c) { return c >= 0x21 && c <= 0x7e && c != '%'; }

// RFC 3986 unreserved characters, which URL-escaping leaves alone.
bool is_unreserved(char c) {
  return is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'z') || c == '-' || c == '.' || c == '_' || c == '~';
}

// Parses the inside of "%{...}" (without the braces) into `macro`.
bool parse_macro(std::string_view body, MacroContext context, Macro& macro, std::string& error) {
  if (body.empty()) {
    error = "empty macro %{}";
    return false;
  }
  const char letter = lower(body.front());
  if (kLetters.find(letter) == std::string_view::npos) {
    error = "unknown macro letter in %{" + std::string(body) + "}";
    return false;
  }
  if (context == MacroContext::domain_spec && kExplanationOnly.find(letter) != std::string_view::npos) {
    error = "%{" + std::string(body) + "}: c, r and t are allowed in explanations only";
    return false;
  }
  macro.letter = letter;
  macro.url_escape = is_upper(body.front());
  std::size_t i = 1;
  if (i < body.size() && is_digit(body[i])) {
    int keep = 0;
    for (; i < body.size() && is_digit(body[i]); ++i) keep = std::min(kMaxKeep, keep * 10 + (body[i] - '0'));
    if (keep == 0) {
      error = "%{" + std::string(body) + "}: zero parts";  // RFC 7208 7.3: MUST be nonzero
      return false;
    }
    macro.keep = keep;
  }
  if (i < body.size() && lower(body[i]) == 'r') {
    macro.reverse = true;
    ++i;
  }
  for (; i < body.size(); ++i) {
    if (kDelimiters.find(body[i]) == std::string_view::npos) {
      error = "bad transformer in %{" + std::string(body) + "}";
      return false;
    }
    macro.delimiters.push_back(body[i]);
  }
  return true;
}

// domain-end = ( "." toplabel [ "." ] ) / macro-expand; `tail` is the text after the
// last macro-expand.
bool has_domain_end(std::string_view tail) {
  tail = without_trailing_dot(tail);
  const std::size_t dot = tail.rfind('.');
  return dot != std::string_view::npos && is_toplabel(tail.substr(dot + 1));
}

void append_literal(MacroString& result, std::string_view text) {
  if (result.parts.empty() || !std::holds_alternative<std::string>(result.parts.back())) {
    result.parts.emplace_back(std::string());
  }
  std::get<std::string>(result.parts.back()).append(text);
}

std::string transform(std::string_view value, const Macro& macro) {
  const std::string_view delimiters = macro.delimiters.empty() ? "." : std::string_view(macro.delimiters);
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = value.find_first_of(delimiters, start);
    parts.push_back(value.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (macro.reverse) std::reverse(parts.begin(), parts.end());
  const std::size_t keep = macro.keep == 0 ? parts.size() : std::min(parts.size(), std::size_t(macro.keep));
  const std::size_t first = parts.size() - keep;
  std::string result;
  for (std::size_t i = first; i < parts.size(); ++i) {
    if (i != first) result.push_back('.');
    result.append(parts[i]);
  }
  return result;
}

std::string url_escape(std::string_view text) {
  constexpr char kHex[] = "0123456789ABCDEF";
  std::string result;
  for (const char c : text) {
    if (is_unreserved(c)) {
      result.push_back(c);
    } else {
      const auto byte = static_cast<unsigned char>(c);
      result.push_back('%');
      result.push_back(kHex[byte >> 4]);
      result.push_back(kHex[byte & 0x0f]);
    }
  }
  return result;
}

const std::string& value_of(char letter, const MacroValues& values) {
  switch (letter) {
    case 's': return values.sender;
    case 'l': return values.local_part;
    case 'o': return values.sender_domain;
    case 'd': return values.domain;
    case 'i': return values.ip;
    case 'p': return values.validated_name;
    case 'v': return values.ip_version;
    case 'h': return values.helo;
    case 'c': return values.client;
    case 'r': return values.receiver;
    default: return values.timestamp;  // 't': parse_macro() admits no other letter
  }
}

}  // namespace

bool MacroString::uses(char letter) const {
  return std::any_of(parts.begin(), parts.end(), [letter](const auto& part) {
    return std::holds_alternative<Macro>(part) && std::get<Macro>(part).letter == letter;
  });
}

std::optional<MacroString> parse_macro_string(std::string_view text, MacroContext context, std::string& error) {
  if (context == MacroContext::domain_spec && text.empty()) {
    error = "empty domain-spec";
    return std::nullopt;
  }
  MacroString result;
  std::size_t tail_start = 0;  // where the text after the last macro-expand begins
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == '%') {
      const char next = i + 1 < text.size() ? text[i + 1] : '\0';
      if (next == '%' || next == '_' || next == '-') {
        append_literal(result, next == '%' ? "%" : next == '_' ? " " : "%20");
        i += 2;
      } else if (next == '{') {
        const std::size_t close = text.find('}', i + 2);
        if (close == std::string_view::npos) {
          error = "unterminated macro in \"" + std::string(text) + "\"";
          return std::nullopt;
        }
        Macro macro;
        if (!parse_macro(text.substr(i + 2, close - i - 2), context, macro, error)) return std::nullopt;
        result.parts.emplace_back(std::move(macro));
        i = close + 1;
      } else {
        error = "'%' not starting a macro in \"" + std::string(text) + "\"";
        return std::nullopt;
      }
      tail_start = i;
    } else if (is_literal(c) || (c == ' ' && context == MacroContext::explanation)) {
      append_literal(result, text.substr(i, 1));
      ++i;
    } else {
      error = "invalid character in \"" + std::string(text) + "\"";
      return std::nullopt;
    }
  }
  if (context == MacroContext::domain_spec && tail_start != text.size() && !has_domain_end(text.substr(tail_start))) {
    error = "\"" + std::string(text) + "\" does not end in a top-level label";
    return std::nullopt;
  }
  return result;
}

std::string expand(const MacroString& macros, const MacroValues& values) {
  std::string result;
  for (const auto& part : macros.parts) {
    if (const auto* literal = std::get_if<std::string>(&part)) {
      result.append(*literal);
      continue;
    }
    const Macro& macro = std::get<Macro>(part);
    const std::string value = transform(value_of(macro.letter, values), macro);
    result.append(macro.url_escape ? url_escape(value) : value);
  }
  return result;
}

}  // namespace grayling::spf
