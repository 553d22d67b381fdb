#include "grayling/spf/evaluate.hpp"

namespace grayling::spf {

Result evaluate_with(Check& check, const ZoneLookup& lookup) {
  while (true) {
    Check::Step step = check.step();
    if (auto* result = std::get_if<Result>(&step)) return std::move(*result);
    for (const DnsQuery& query : std::get<std::vector<DnsQuery>>(step)) check.answer(query, lookup(query));
  }
}

Result evaluate_with(const ZoneLookup& lookup, const IpAddress& client, std::string_view sender, std::string_view helo,
                     Options options) {
  Check check(client, sender, helo, std::move(options));
  return evaluate_with(check, lookup);
}

}  // namespace grayling::spf
