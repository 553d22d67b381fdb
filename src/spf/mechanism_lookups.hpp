#pragma once
// The DNS work of the mechanisms a, mx, ptr and exists, and of the %{p} macro (RFC 7208
// 5.3 to 5.7, 7.3), as pure functions of the answers at hand. Each asks for everything it
// can ask at once (all the MX hosts' addresses together), and says "blocked" while any of
// it is unanswered.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "answer_book.hpp"
#include "grayling/core/ip_address.hpp"

namespace grayling::spf::detail {

/// What a mechanism's lookups concluded.
struct Outcome {
  enum class Kind : std::uint8_t { match, no_match, temperror, permerror, blocked };
  Kind kind = Kind::no_match;
  std::optional<IpNetwork> network;  // match: the network vouched for (a, mx)
  bool void_lookup = false;          // the mechanism's own lookup was void (RFC 7208 4.6.4)
  std::string problem;               // temperror, permerror: why
  double addresses = 0;              // a, mx: how many the addresses found name, widened
};

/// a: the client is within `prefix` bits of an address of `name`.
Outcome match_a(AnswerBook& book, const IpAddress& client, const std::string& name, int prefix);

/// mx: the same for the addresses of `name`'s mail exchangers (more than 10: permerror).
Outcome match_mx(AnswerBook& book, const IpAddress& client, const std::string& name, int prefix);

/// exists: `name` has an A record, whatever the client's family.
Outcome match_exists(AnswerBook& book, const std::string& name);

/// ptr: one of the client's validated host names is `domain` or within it.
Outcome match_ptr(AnswerBook& book, const IpAddress& client, std::string_view domain);

/// %{p}: the client's validated host name, preferring `domain`, then a name within it,
/// then any; "unknown" when none validates. nullopt while answers are missing.
std::optional<std::string> validated_name(AnswerBook& book, const IpAddress& client, std::string_view domain);

}  // namespace grayling::spf::detail
