// Fuzz target: the policy protocol parser, fed in chunks whose sizes come from the input,
// checking the invariants the session relies on.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "grayling/core/policy_engine.hpp"
#include "grayling/core/request_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0] % 64;  // first byte: how the stream is split
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  grayling::ParserLimits limits{256, 2048, 32};
  grayling::RequestParser parser(limits);
  grayling::PolicyEngine engine{grayling::EngineSettings{}};
  while (!input.empty()) {
    std::string_view piece = input.substr(0, chunk);
    input.remove_prefix(piece.size());
    while (!piece.empty()) {
      const auto step = parser.feed(piece);
      if (step.consumed > piece.size()) std::abort();
      piece.remove_prefix(step.consumed);
      if (step.status == grayling::RequestParser::Status::error) return 0;
      if (step.status == grayling::RequestParser::Status::complete) {
        const auto request = parser.take_request();
        if (request.size() > limits.max_attributes) std::abort();
        (void)engine.screen(request);  // whatever arrived must screen without crashing
      } else if (step.consumed == 0) {
        std::abort();  // need_more must consume everything it was given
      }
    }
  }
  return 0;
}
