#pragma once
/// Whether a sender's domain vouches for the client by SPF, narrowly enough for grayling
/// to count the client as one of that domain's servers (and so key the triplet by the
/// domain, not the client's network). Asked on the I/O thread, answered later on it.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "grayling/core/ip_address.hpp"

namespace grayling::dns {

class SenderAuthority {
 public:
  /// The domain whose SPF record passed the client, or nullopt: no record, not
  /// authorised, authorised too broadly, or DNS trouble (greylisting then keys by network,
  /// so trouble can only make it stricter).
  using Done = std::function<void(std::optional<std::string> domain)>;
  virtual ~SenderAuthority() = default;
  /// `sender` is the envelope sender (empty: the null sender, checked by `helo`, as RFC
  /// 7208 does). Returns false, and never calls `done`, when DNS is not worth asking now
  /// (not answering in time lately, or as busy as it may be): the request then keys by
  /// network at once. Otherwise `done` runs exactly once, later, on the resolver's thread.
  virtual bool authorised_domain(const IpAddress& client, std::string_view sender, std::string_view helo,
                                 Done done) = 0;
};

}  // namespace grayling::dns
