#include "spf_variant.hpp"

namespace grayling::test {

void SpfVariant::SetUp() {
  if (!spf()) return;
  if (DnsServer::binary().empty()) {
    if (DnsServer::required()) FAIL() << "GRAYLING_DNS_REQUIRED is set, but unbound is not installed";
    GTEST_SKIP() << "unbound is not installed";
  }
  dns_ = std::make_unique<DnsServer>(
      std::vector<std::string>{"org.", "net.", "example."},
      std::vector<std::string>{
          "example.org. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.0/24 -all\"",
          "example.net. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"",
      });
  add_base_args({"--spf-equivalence=on", "--dns-server=" + dns_->address()});
}

std::string spf_variant_name(const ::testing::TestParamInfo<bool>& info) { return info.param ? "spf_on" : "spf_off"; }

}  // namespace grayling::test
