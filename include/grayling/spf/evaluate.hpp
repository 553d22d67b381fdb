#pragma once
/// Runs a Check to its end against a synchronous lookup: for tests, tools and benchmarks
/// with an in-process resolver. The daemon resolves asynchronously and drives Check itself.

#include <functional>
#include <string_view>

#include "grayling/spf/check.hpp"

namespace grayling::spf {

/// Answers one DNS query at once.
using ZoneLookup = std::function<DnsAnswer(const DnsQuery&)>;

/// Answers every query `check` asks through `lookup` until it gives its result.
[[nodiscard]] Result evaluate_with(Check& check, const ZoneLookup& lookup);

/// The same for a new Check of `client`, `sender` and `helo`.
[[nodiscard]] Result evaluate_with(const ZoneLookup& lookup, const IpAddress& client, std::string_view sender,
                                   std::string_view helo, Options options = {});

}  // namespace grayling::spf
