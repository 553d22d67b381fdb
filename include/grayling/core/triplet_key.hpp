#pragma once
/// The greylisting key: client network + normalised sender + recipient, as postgrey builds it.

#include <string>
#include <string_view>

#include "grayling/core/ip_address.hpp"

namespace grayling {

/// How a client address becomes the client part of a key (postgrey's --lookup-by-* options).
struct KeyRules {
  bool lookup_by_host = false;  // full address instead of its network
  int ipv4_prefix = 24;
  int ipv6_prefix = 64;
  friend bool operator==(const KeyRules&, const KeyRules&) = default;
};

/// postgrey's sender rules: BATV prvs= tag removed, +extension stripped, word-bounded digit
/// runs replaced by '#'; plus SRS0/SRS1 unwrapped to the original sender (sqlgrey does this)
/// and word-bounded UUIDs and hex ids (8+ hex digits with a digit and a letter) replaced
/// by '#', for bulk senders with a fresh bounce id per attempt.
/// Only the local part changes; senders without '@' (and the null sender) stay as they are.
[[nodiscard]] std::string normalize_sender(std::string_view sender);

/// The client part of a key: "192.0.2.0" (network), "2001:db8:1:2:0:0:0:0", or with
/// lookup_by_host "198.51.100.7/32" — the exact strings postgrey stores.
[[nodiscard]] std::string client_key(const IpAddress& client, const KeyRules& rules);

/// The client part of a key for a client the sender's domain authorises by SPF: every
/// address of the domain's servers is one client, "spf:example.org".
[[nodiscard]] std::string spf_client_key(std::string_view domain);

/// The full, lower-cased triplet key "<client>/<sender>/<recipient>".
[[nodiscard]] std::string triplet_key(const IpAddress& client, std::string_view sender,
                                      std::string_view recipient, const KeyRules& rules);

/// The key of a triplet whose client is `client_part` (client_key or spf_client_key).
[[nodiscard]] std::string triplet_key_with(std::string_view client_part, std::string_view sender,
                                           std::string_view recipient);

/// "client/sender/recipient", lower-cased, from a sender already normalised: the one
/// layout of a key, for rules that normalise senders otherwise (postgrey's, in bench/).
[[nodiscard]] std::string join_triplet_key(std::string_view client_part, std::string_view normalized_sender,
                                           std::string_view recipient);

/// ASCII lower-casing, as Perl's lc() on byte strings.
[[nodiscard]] std::string ascii_lower(std::string_view text);

}  // namespace grayling
