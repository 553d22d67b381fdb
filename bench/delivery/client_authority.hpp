#pragma once
/// Who vouches that a client is one of a domain's own servers, for SPF-authorised
/// equivalence. An interface, so that grayling's real SPF check over a stub zone can
/// replace the benchmark's stub without touching the simulation.

#include <optional>
#include <string>
#include <string_view>

#include "grayling/core/ip_address.hpp"
#include "stub_dns.hpp"

namespace delivery {

/// Answers whether a client may stand for a domain in a triplet key.
class ClientAuthority {
 public:
  virtual ~ClientAuthority() = default;
  /// The domain whose SPF record authorises `client` for `sender` (for the null sender, the
  /// HELO name), when that authorisation names the domain's own servers narrowly enough;
  /// nullopt otherwise (no record, no pass, or a pass too broad to mean anything).
  [[nodiscard]] virtual std::optional<std::string> authorised_domain(const grayling::IpAddress& client,
                                                                     std::string_view sender,
                                                                     std::string_view helo) const = 0;
};

/// SPF evaluated over the trace's StubDns, with grayling's breadth rule
/// (names_the_senders_servers): a pass counts only by a network no wider than IPv4 /12 or
/// IPv6 /32, whose record and the records including it name no more than that together;
/// not +all, ptr or exists.
class StubSpfAuthority final : public ClientAuthority {
 public:
  explicit StubSpfAuthority(const StubDns& dns) : dns_(dns) {}

  [[nodiscard]] std::optional<std::string> authorised_domain(const grayling::IpAddress& client, std::string_view sender,
                                                             std::string_view helo) const override;

 private:
  enum class Match : std::uint8_t { none, narrow, broad };  // broad: a pass that does not count
  /// The first mechanism of `domain`'s record (includes followed) that matches `client`;
  /// `vouched_before`: the addresses the records on the way to it name.
  [[nodiscard]] Match evaluate(std::string_view domain, const grayling::IpAddress& client, int depth,
                               double vouched_before) const;

  const StubDns& dns_;
};

}  // namespace delivery
