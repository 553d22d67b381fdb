#pragma once
// The DNS of one scenario of the openspf RFC 7208 test suite, from its `zonedata`, served
// as the suite's README and its reference driver (pyspf's testspf.py) say:
// * a name's entries are read in order; the pseudo-record TIMEOUT makes a query time out
//   unless records of the asked type came before it;
// * SPF (type 99) records are served as TXT too, unless the name has TXT records of its
//   own or "TXT: NONE";
// * CNAMEs are followed; a loop is a server failure;
// * a name that is not in the zone does not exist (NXDOMAIN).

#include <map>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "grayling/spf/dns.hpp"

namespace grayling::spf::test {

class SuiteZone {
 public:
  /// `zonedata`: the scenario's mapping of names to lists of records.
  explicit SuiteZone(const YAML::Node& zonedata);

  [[nodiscard]] DnsAnswer lookup(const DnsQuery& query) const;

 private:
  struct Entry {
    std::string type;  // "A", "AAAA", "TXT", "MX", "PTR", "CNAME"; empty for TIMEOUT
    std::string value;
  };

  DnsAnswer lookup(const std::string& name, const std::string& type, int depth) const;

  std::map<std::string, std::vector<Entry>> names_;  // lower case, no trailing dot
};

}  // namespace grayling::spf::test
