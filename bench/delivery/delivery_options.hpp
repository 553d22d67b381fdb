#pragma once
/// grayling-delivery's command line.

#include <cstdint>
#include <optional>
#include <string>

namespace delivery {

struct DeliveryOptions {
  std::uint64_t seed = 1;
  std::size_t legitimate = 1200;
  std::size_t spam = 5000;
  std::int64_t days = 5;                    // simulated, from the first arrival
  std::int64_t delay = 300;                 // greylisting delay, seconds
  std::int64_t auto_whitelist_clients = 5;  // 0: off
  std::string whitelist_clients = "etc/whitelist_clients";
  std::string whitelist_recipients = "etc/whitelist_recipients";
  std::string json;    // write the JSON report here too ("-": standard output, instead of Markdown)
  bool check = false;  // exit 2 when a target does not hold
};

/// Parses argv; prints usage or an error and returns nullopt when the run should not go on
/// (`exit_code` then says how to exit).
[[nodiscard]] std::optional<DeliveryOptions> parse_delivery_options(int argc, char** argv, int& exit_code);

}  // namespace delivery
