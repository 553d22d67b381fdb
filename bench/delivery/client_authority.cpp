#include "client_authority.hpp"

#include "grayling/core/triplet_key.hpp"

namespace delivery {

using grayling::IpAddress;

namespace {

// RFC 7208 allows 10 DNS-querying terms; a stub zone has no loops, but a bad table might.
constexpr int kMaxDepth = 10;

bool narrow_network(const grayling::IpNetwork& network) {
  return network.prefix >= (network.address.family == IpAddress::Family::v4 ? 12 : 32);
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
  if (evaluate(domain, client, 0) != Match::narrow) return std::nullopt;
  return domain;
}

StubSpfAuthority::Match StubSpfAuthority::evaluate(std::string_view domain, const IpAddress& client, int depth) const {
  const SpfRecord* record = depth > kMaxDepth ? nullptr : dns_.spf(domain);
  if (!record) return Match::none;
  for (const SpfTerm& term : *record) {
    switch (term.kind) {
      case SpfTerm::Kind::ip:
        if (term.network.contains(client)) return narrow_network(term.network) ? Match::narrow : Match::broad;
        break;
      case SpfTerm::Kind::include:
        // include: matches when the included record passes; its verdict is this one's.
        if (const Match included = evaluate(term.domain, client, depth + 1); included != Match::none) return included;
        break;
      case SpfTerm::Kind::all:
        return Match::broad;
      case SpfTerm::Kind::ptr: {
        const auto name = dns_.verified_name(client);
        if (name && name_under(grayling::ascii_lower(*name), term.domain.empty() ? domain : term.domain)) {
          return Match::narrow;
        }
        break;
      }
      case SpfTerm::Kind::exists:
        if (!term.client_macro) return Match::broad;
        for (const IpAddress& listed : term.listed) {
          if (listed == client) return Match::narrow;
        }
        break;
    }
  }
  return Match::none;
}

}  // namespace delivery
