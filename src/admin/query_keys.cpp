#include "query_keys.hpp"

#include "spf_lookup.hpp"

namespace grayling {

QueryKeys query_keys(const PolicyEngine& engine, const SpfSettings& spf, const TripletQuery& query) {
  const IpAddress address = parse_client_address(query.client_address);
  if (!query.sender) throw AdminError("--sender is required (--sender= for the null sender)");
  if (query.recipient.empty()) throw AdminError("--recipient is required");
  QueryKeys keys;
  // As the daemon's session re-keys a request (Session::apply_spf).
  keys.spf_domain = spf_authorised_domain(spf, address, *query.sender, query.helo);
  keys.lookup = keys.spf_domain ? engine.lookup_authorised(address, *keys.spf_domain, *query.sender, query.recipient)
                                : engine.lookup(address, *query.sender, query.recipient);
  return keys;
}

}  // namespace grayling
