#pragma once
/// grayling-admin's tests where the key matters run twice: with SPF equivalence off, and
/// on, against a private unbound whose zone authorises the tests' clients for their
/// senders' domains, so that the daemon keys those triplets "spf:DOMAIN/..." and every
/// grayling-admin command must build the same keys to find them.
///
/// The zone: example.org authorises 192.0.2.0/24 and 198.51.100.0/24, example.net
/// 192.0.2.0/24; every other name (other.example, ...) has no record (NXDOMAIN).

#include <memory>
#include <string>

#include "daemon_fixture.hpp"
#include "support/dns_server.hpp"

namespace grayling::test {

class SpfVariant : public DaemonTest, public ::testing::WithParamInterface<bool> {
 protected:
  /// With SPF on: starts the DNS server and gives every daemon and grayling-admin of the
  /// test --spf-equivalence=on and --dns-server (add_base_args).
  void SetUp() override;

  [[nodiscard]] bool spf() const { return GetParam(); }
  /// `domain` ("spf:example.org") with SPF on, `network` ("192.0.2.0") off: the client
  /// part of a key whose client the zone authorises.
  [[nodiscard]] std::string client_part(const std::string& domain, const std::string& network) const {
    return spf() ? "spf:" + domain : network;
  }

  std::unique_ptr<DnsServer> dns_;
};

/// "spf_off" and "spf_on", for INSTANTIATE_TEST_SUITE_P(..., ::testing::Bool(), spf_variant_name).
std::string spf_variant_name(const ::testing::TestParamInfo<bool>& info);

}  // namespace grayling::test
