// Fuzz target: the whitelist file reader (both grammars) and matching against names and
// addresses taken from the same input.
#include <cstdint>
#include <string_view>
#include <vector>

#include "grayling/core/whitelist.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<grayling::WhitelistIssue> issues;
  grayling::ClientWhitelist clients;
  grayling::RecipientWhitelist recipients;
  grayling::add_whitelist_text(clients, text, "fuzz", issues);
  grayling::add_whitelist_text(recipients, text, "fuzz", issues);
  for (const auto& issue : issues) (void)issue.describe();
  // Probe with every line as a name, an address and a recipient.
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    (void)clients.matches(line, grayling::IpAddress::parse(line));
    (void)recipients.matches(line);
    start = end + 1;
  }
  return 0;
}
