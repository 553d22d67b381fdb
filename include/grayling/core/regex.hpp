#pragma once
/// Case-insensitive Perl-compatible regular expressions (PCRE2, JIT-compiled), as postgrey's
/// whitelist /regex/ entries expect. std::regex is neither Perl-compatible nor fast.

#include <memory>
#include <string>
#include <string_view>

namespace grayling {

/// A compiled pattern; cheap to copy (the compiled code is shared and immutable).
class Regex {
 public:
  /// Compiles `pattern` case-insensitively. On failure returns nullptr and sets `error`.
  static std::unique_ptr<Regex> compile(std::string_view pattern, std::string& error);

  /// True when the pattern matches anywhere in `subject` (unanchored, as Perl's =~).
  [[nodiscard]] bool search(std::string_view subject) const;

  [[nodiscard]] const std::string& pattern() const { return pattern_; }

  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

 private:
  Regex(std::string pattern, void* code) : pattern_(std::move(pattern)), code_(code) {}
  std::string pattern_;
  void* code_;  // pcre2_code*, kept opaque so pcre2.h stays out of headers
};

}  // namespace grayling
