#include "grayling/core/regex.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace grayling {

std::unique_ptr<Regex> Regex::compile(std::string_view pattern, std::string& error) {
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), PCRE2_CASELESS,
                                   &error_code, &error_offset, nullptr);
  if (!code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error_code, message, sizeof message);
    error = std::string(reinterpret_cast<const char*>(message)) + " at offset " + std::to_string(error_offset);
    return nullptr;
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter if JIT is unavailable
  return std::unique_ptr<Regex>(new Regex(std::string(pattern), code));
}

Regex::~Regex() { pcre2_code_free(static_cast<pcre2_code*>(code_)); }

bool Regex::search(std::string_view subject) const {
  auto* code = static_cast<pcre2_code*>(code_);
  // Match data per call: matching runs on several threads, and this is off the hot path
  // whenever a hostname suffix or an address already decided.
  pcre2_match_data* match = pcre2_match_data_create_from_pattern(code, nullptr);
  if (!match) return false;
  const int rc =
      pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0, 0, match, nullptr);
  pcre2_match_data_free(match);
  return rc >= 0;
}

}  // namespace grayling
