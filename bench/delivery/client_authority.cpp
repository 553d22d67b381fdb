#include "client_authority.hpp"

#include <cmath>

#include "grayling/core/triplet_key.hpp"

namespace delivery {

using grayling::IpAddress;

namespace {

// RFC 7208 allows 10 DNS-querying terms; a stub zone has no loops, but a bad table might.
constexpr int kMaxDepth = 10;

int address_bits(const IpAddress& address) { return address.family == IpAddress::Family::v4 ? 32 : 128; }
int narrowest_prefix(const IpAddress& address) { return address.family == IpAddress::Family::v4 ? 12 : 32; }

bool narrow_network(const grayling::IpNetwork& network) { return network.prefix >= narrowest_prefix(network.address); }

// How many addresses of the client's family the record's networks name together.
double vouched_addresses(const SpfRecord& record, const IpAddress& client) {
  double sum = 0;
  for (const SpfTerm& term : record) {
    if (term.kind == SpfTerm::Kind::ip && term.network.address.family == client.family) {
      sum += std::ldexp(1.0, address_bits(client) - term.network.prefix);
    }
  }
  return sum;
}

bool name_under(std::string_view name, std::string_view domain) {
  return name == domain ||
         (name.size() > domain.size() && name.ends_with(domain) && name[name.size() - domain.size() - 1] == '.');
}

}  // namespace

std::optional<std::string> StubSpfAuthority::authorised_domain(const IpAddress& client, std::string_view sender,
                                                               std::string_view helo) const {
  // SPF checks MAIL FROM's domain; for the null sender, postmaster@HELO (RFC 7208 2.4).
  const std::size_t at = sender.rfind('@');
  const std::string domain = grayling::ascii_lower(at == std::string_view::npos ? helo : sender.substr(at + 1));
  if (domain.empty()) return std::nullopt;
  if (evaluate(domain, client, 0, 0) != Match::narrow) return std::nullopt;
  return domain;
}

StubSpfAuthority::Match StubSpfAuthority::evaluate(std::string_view domain, const IpAddress& client, int depth,
                                                   double vouched_before) const {
  const SpfRecord* record = depth > kMaxDepth ? nullptr : dns_.spf(domain);
  if (!record) return Match::none;
  // The record's networks and those of the records on the way to it add up.
  const double vouched = vouched_before + vouched_addresses(*record, client);
  const double most = std::ldexp(1.0, address_bits(client) - narrowest_prefix(client));
  for (const SpfTerm& term : *record) {
    switch (term.kind) {
      case SpfTerm::Kind::ip:
        if (term.network.contains(client)) {
          return narrow_network(term.network) && vouched <= most ? Match::narrow : Match::broad;
        }
        break;
      case SpfTerm::Kind::include:
        // include: matches when the included record passes; its verdict is this one's.
        if (const Match included = evaluate(term.domain, client, depth + 1, vouched); included != Match::none) {
          return included;
        }
        break;
      case SpfTerm::Kind::all:
        return Match::broad;
      case SpfTerm::Kind::ptr: {
        // A pass, but by a name: it counts for no network (grayling's rule).
        const auto name = dns_.verified_name(client);
        if (name && name_under(grayling::ascii_lower(*name), term.domain.empty() ? domain : term.domain)) {
          return Match::broad;
        }
        break;
      }
      case SpfTerm::Kind::exists:
        if (!term.client_macro) return Match::broad;
        for (const IpAddress& listed : term.listed) {
          if (listed == client) return Match::broad;  // a pass that counts for no network either
        }
        break;
    }
  }
  return Match::none;
}

}  // namespace delivery
