// Fuzz target: SPF as a hostile domain could publish it. The input is the sender domain's
// TXT record; the check runs to its end over a stub zone in which every name's TXT is the
// same record (so include and redirect loop back into it), every A/AAAA answer is the
// client, MX and PTR name the domain: macros, limits and the state machine all get it.
#include <cstdint>
#include <string>
#include <string_view>

#include "grayling/spf/evaluate.hpp"
#include "grayling/spf/record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace grayling::spf;
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::string error;
  (void)parse_record(text, error);
  const auto lookup = [&](const DnsQuery& query) -> DnsAnswer {
    switch (query.type) {
      case DnsType::txt: return DnsAnswer::with({text});
      case DnsType::a: return DnsAnswer::with({"192.0.2.7"});
      case DnsType::aaaa: return DnsAnswer::with({"2001:db8::7"});
      case DnsType::mx: return DnsAnswer::with({"10 mx.example.org"});
      case DnsType::ptr: return DnsAnswer::with({"mail.example.org"});
    }
    return DnsAnswer::of(DnsAnswer::Status::nxdomain);
  };
  for (const char* client : {"192.0.2.7", "2001:db8::7"}) {
    const Result result =
        evaluate_with(lookup, *grayling::IpAddress::parse(client), "user+tag@example.org", "helo.example.org");
    (void)to_string(result.code);
  }
  (void)evaluate_with(lookup, *grayling::IpAddress::parse("198.51.100.1"), "", "helo.example.org");
  return 0;
}
