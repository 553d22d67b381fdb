// Fuzz target: the command line and the --config file parser. The input is split at its
// first NUL: before it, NUL-free argv words separated by newlines; after it, a config file.
// A Config that parses must be safe to run with: every number that reaches a clock fits
// it with room to spare, and the request limits nest. A value that would overflow (an idle
// timeout of 10^11 seconds once closed every connection at once) aborts, as a bug.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "grayling/config/options.hpp"

namespace {

/// Aborts unless `value` units of `unit_ns` nanoseconds, added to a clock reading of a
/// century from now, still fit in a signed 64-bit nanosecond count.
void fits_a_clock(std::int64_t value, std::int64_t unit_ns) {
  constexpr std::int64_t kCentury_ns = std::int64_t{100} * 365 * 86400 * 1'000'000'000;
  std::int64_t ns = 0;
  std::int64_t sum = 0;
  if (value < 0 || __builtin_mul_overflow(value, unit_ns, &ns) || __builtin_add_overflow(ns, kCentury_ns, &sum)) {
    std::abort();
  }
}

void check_safe(const grayling::Config& config) {
  constexpr std::int64_t kSecond = 1'000'000'000;
  fits_a_clock(config.server.idle_timeout_seconds, kSecond);
  fits_a_clock(config.store.expiry_interval_seconds, kSecond);
  fits_a_clock(config.store.timeout_ms, 1'000'000);
  fits_a_clock(config.engine.delay, kSecond);
  fits_a_clock(config.engine.max_age, kSecond);
  fits_a_clock(config.engine.retry_window, kSecond);
  const auto& limits = config.server.limits;
  if (config.server.idle_timeout_seconds == 0 || config.store.timeout_ms == 0 || config.server.max_connections == 0 ||
      limits.max_attributes == 0 || limits.max_line_bytes == 0 || limits.max_line_bytes > limits.max_request_bytes ||
      config.server.listen_backlog <= 0 || config.engine.auto_whitelist_clients < 0) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = input.find('\0');
  const std::string words = input.substr(0, nul);
  const std::string config = nul == std::string::npos ? std::string() : input.substr(nul + 1);

  std::vector<std::string> args{"grayling"};
  std::istringstream lines(words);
  for (std::string word; std::getline(lines, word);) args.push_back(word);
  static const std::string config_path = "/tmp/grayling-fuzz-" + std::to_string(::getpid()) + ".conf";
  if (!config.empty()) {
    std::ofstream(config_path, std::ios::binary) << config;
    args.push_back("--config=" + config_path);
  }
  std::vector<const char*> argv;
  for (const auto& arg : args) argv.push_back(arg.c_str());
  std::ostringstream out, err;
  const auto parsed = grayling::parse_options(static_cast<int>(argv.size()), argv.data(), out, err);
  if (parsed.config) check_safe(*parsed.config);
  if (!config.empty()) std::remove(config_path.c_str());
  return 0;
}
