#include "mechanism_lookups.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

#include "grayling/spf/address_names.hpp"
#include "grayling/spf/domain_name.hpp"

namespace grayling::spf::detail {
namespace {

// RFC 7208 4.6.4: at most 10 MX names per mx (more is a permerror), and at most 10 PTR
// names per ptr or %{p} (the rest are ignored).
constexpr std::size_t kMaxMxNames = 10;
constexpr std::size_t kMaxPtrNames = 10;

DnsType address_type(const IpAddress& client) {
  return client.family == IpAddress::Family::v4 ? DnsType::a : DnsType::aaaa;
}

Outcome blocked() { return {Outcome::Kind::blocked, std::nullopt, false, {}}; }
Outcome no_match(bool void_lookup = false) { return {Outcome::Kind::no_match, std::nullopt, void_lookup, {}}; }
Outcome failure(Outcome::Kind kind, std::string problem) { return {kind, std::nullopt, false, std::move(problem)}; }

Outcome lookup_failure(const DnsQuery& query, const DnsAnswer& answer) {
  return failure(Outcome::Kind::temperror,
                 std::string(to_string(query.type)) + " lookup of " + query.name +
                     (answer.status == DnsAnswer::Status::timeout ? " timed out" : " failed"));
}

// The network of `prefix` bits around the first of `addresses` that holds the client.
std::optional<IpNetwork> network_holding(const IpAddress& client, const DnsAnswer& answer, int prefix) {
  for (const std::string& text : answer.data()) {
    const auto address = IpAddress::parse(text);
    if (address && address->family == client.family && address->same_prefix(client, prefix)) {
      return IpNetwork{address->masked(prefix), prefix};
    }
  }
  return std::nullopt;
}

// How many addresses of the client's family `answer`'s addresses name, each widened to
// `prefix` bits (overlaps counted twice: a sum can only err towards too broad).
double addresses_named(const IpAddress& client, const DnsAnswer& answer, int prefix) {
  const int bits = client.family == IpAddress::Family::v4 ? 32 : 128;
  double sum = 0;
  for (const std::string& text : answer.data()) {
    const auto address = IpAddress::parse(text);
    if (address && address->family == client.family) sum += std::ldexp(1.0, bits - prefix);
  }
  return sum;
}

bool holds_exactly(const IpAddress& client, const DnsAnswer& answer) {
  return std::any_of(answer.data().begin(), answer.data().end(), [&](const std::string& text) {
    const auto address = IpAddress::parse(text);
    return address && *address == client;
  });
}

// An MX record's exchange: "preference host" or just "host"; ordered by preference.
struct Exchange {
  unsigned preference = 0;
  std::string_view host;
};

Exchange parse_exchange(std::string_view record) {
  const std::size_t space = record.find(' ');
  if (space != std::string_view::npos) {
    unsigned preference = 0;
    const auto [end, ec] = std::from_chars(record.data(), record.data() + space, preference);
    if (ec == std::errc{} && end == record.data() + space) {
      const std::size_t host = record.find_first_not_of(' ', space);
      return {preference, host == std::string_view::npos ? std::string_view() : record.substr(host)};
    }
  }
  return {0, record};
}

// The client's host names from its PTR records, the first 10 only.
struct ReverseNames {
  bool blocked = false;
  bool void_lookup = false;
  std::vector<std::string> names;
};

ReverseNames reverse_names(AnswerBook& book, const IpAddress& client) {
  const DnsAnswer* answer = book.find({reverse_lookup_name(client), DnsType::ptr});
  if (!answer) return {true, false, {}};
  // A failed PTR lookup is no match, not a temperror (RFC 7208 5.5).
  ReverseNames result{false, answer->is_void(), {}};
  for (const std::string& name : answer->data()) {
    if (result.names.size() == kMaxPtrNames) break;
    result.names.emplace_back(without_trailing_dot(name));
  }
  return result;
}

// The `candidates` whose addresses include the client exactly ("validated", RFC 7208
// 5.5); nullopt while answers are missing. A name whose lookup fails is skipped.
std::optional<std::vector<std::string>> validated(AnswerBook& book, const IpAddress& client,
                                                  const std::vector<std::string>& candidates) {
  std::vector<std::pair<std::string, const DnsAnswer*>> lookups;
  bool missing = false;
  for (const std::string& candidate : candidates) {
    const auto name = query_name(candidate);
    if (!name) continue;
    const DnsAnswer* answer = book.find({*name, address_type(client)});
    missing = missing || !answer;
    lookups.emplace_back(candidate, answer);
  }
  if (missing) return std::nullopt;
  std::vector<std::string> result;
  for (const auto& [name, answer] : lookups) {
    if (holds_exactly(client, *answer)) result.push_back(name);
  }
  return result;
}

}  // namespace

Outcome match_a(AnswerBook& book, const IpAddress& client, const std::string& name, int prefix) {
  const DnsQuery query{name, address_type(client)};
  const DnsAnswer* answer = book.find(query);
  if (!answer) return blocked();
  if (answer->failed()) return lookup_failure(query, *answer);
  if (answer->is_void()) return no_match(true);
  Outcome outcome = no_match();
  if (auto network = network_holding(client, *answer, prefix)) outcome = {Outcome::Kind::match, network, false, {}};
  outcome.addresses = addresses_named(client, *answer, prefix);
  return outcome;
}

Outcome match_mx(AnswerBook& book, const IpAddress& client, const std::string& name, int prefix) {
  const DnsQuery query{name, DnsType::mx};
  const DnsAnswer* answer = book.find(query);
  if (!answer) return blocked();
  if (answer->failed()) return lookup_failure(query, *answer);
  if (answer->is_void()) return no_match(true);
  if (answer->data().size() > kMaxMxNames) {
    return failure(Outcome::Kind::permerror, name + " has more than 10 MX records");
  }
  std::vector<Exchange> exchanges;
  for (const std::string& record : answer->data()) exchanges.push_back(parse_exchange(record));
  std::stable_sort(exchanges.begin(), exchanges.end(),
                   [](const Exchange& a, const Exchange& b) { return a.preference < b.preference; });

  // Every exchange's addresses are asked for at once; they are then read in preference
  // order, so that the outcome is what asking one by one would give.
  std::vector<std::pair<DnsQuery, const DnsAnswer*>> lookups;
  bool missing = false;
  for (const Exchange& exchange : exchanges) {
    const auto host = query_name(exchange.host);  // a null MX ("." or empty) has no name
    if (!host) continue;
    DnsQuery host_query{*host, address_type(client)};
    const DnsAnswer* host_answer = book.find(host_query);
    missing = missing || !host_answer;
    lookups.emplace_back(std::move(host_query), host_answer);
  }
  if (missing) return blocked();
  double addresses = 0;
  for (const auto& [host_query, host_answer] : lookups) {
    if (host_answer->failed()) return lookup_failure(host_query, *host_answer);
    addresses += addresses_named(client, *host_answer, prefix);
    if (auto network = network_holding(client, *host_answer, prefix)) {
      Outcome outcome{Outcome::Kind::match, network, false, {}};
      outcome.addresses = addresses;
      return outcome;
    }
  }
  Outcome outcome = no_match();
  outcome.addresses = addresses;
  return outcome;
}

Outcome match_exists(AnswerBook& book, const std::string& name) {
  const DnsQuery query{name, DnsType::a};  // A even for an IPv6 client (RFC 7208 5.7)
  const DnsAnswer* answer = book.find(query);
  if (!answer) return blocked();
  if (answer->failed()) return lookup_failure(query, *answer);
  if (answer->is_void()) return no_match(true);
  return {Outcome::Kind::match, std::nullopt, false, {}};
}

Outcome match_ptr(AnswerBook& book, const IpAddress& client, std::string_view domain) {
  const ReverseNames reverse = reverse_names(book, client);
  if (reverse.blocked) return blocked();
  // Only names within the domain can make ptr match, so only those are validated.
  std::vector<std::string> candidates;
  for (const std::string& name : reverse.names) {
    if (is_within(name, domain)) candidates.push_back(name);
  }
  const auto names = validated(book, client, candidates);
  if (!names) return blocked();
  if (!names->empty()) return {Outcome::Kind::match, std::nullopt, false, {}};
  return no_match(reverse.void_lookup);
}

std::optional<std::string> validated_name(AnswerBook& book, const IpAddress& client, std::string_view domain) {
  const ReverseNames reverse = reverse_names(book, client);
  if (reverse.blocked) return std::nullopt;
  const auto names = validated(book, client, reverse.names);
  if (!names) return std::nullopt;
  const auto exact = std::find_if(names->begin(), names->end(),
                                  [&](const std::string& name) { return equal_ignoring_case(name, domain); });
  if (exact != names->end()) return *exact;
  const auto within = std::find_if(names->begin(), names->end(),
                                   [&](const std::string& name) { return is_within(name, domain); });
  if (within != names->end()) return *within;
  return names->empty() ? std::string("unknown") : names->front();
}

}  // namespace grayling::spf::detail
