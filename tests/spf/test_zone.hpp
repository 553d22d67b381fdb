#pragma once
// A small in-memory DNS for the SPF unit tests, and a driver that records the batches of
// queries a Check asks.

#include <map>
#include <string>
#include <vector>

#include "grayling/spf/check.hpp"
#include "grayling/spf/domain_name.hpp"

namespace grayling::spf::test {

class TestZone {
 public:
  /// Adds a record; TXT values are whole records, MX values "preference host".
  TestZone& add(DnsType type, const std::string& name, std::string value) {
    auto& answer = answers_[{to_lower(name), type}];
    answer.status = DnsAnswer::Status::ok;
    answer.records.push_back(std::move(value));
    return *this;
  }
  /// Makes a query fail (error or timeout).
  TestZone& fail(DnsType type, const std::string& name, DnsAnswer::Status status) {
    answers_[{to_lower(name), type}] = DnsAnswer::of(status);
    return *this;
  }
  /// The records; NODATA when the name has records of other types, else NXDOMAIN.
  [[nodiscard]] DnsAnswer lookup(const DnsQuery& query) const {
    if (const auto found = answers_.find(query); found != answers_.end()) return found->second;
    for (const auto& [known, answer] : answers_) {
      if (known.name == query.name) return DnsAnswer::of(DnsAnswer::Status::no_data);
    }
    return DnsAnswer::of(DnsAnswer::Status::nxdomain);
  }

 private:
  std::map<DnsQuery, DnsAnswer> answers_;
};

/// A check run to its end, with every batch of queries it asked.
struct CheckRun {
  Result result;
  std::vector<std::vector<DnsQuery>> batches;
};

inline CheckRun run_check(const TestZone& zone, const std::string& client, const std::string& sender,
               const std::string& helo = "mail.example.net", Options options = {}) {
  Check check(*IpAddress::parse(client), sender, helo, std::move(options));
  CheckRun run;
  while (true) {
    Check::Step step = check.step();
    if (auto* result = std::get_if<Result>(&step)) {
      run.result = std::move(*result);
      return run;
    }
    run.batches.push_back(std::get<std::vector<DnsQuery>>(step));
    for (const DnsQuery& query : run.batches.back()) check.answer(query, zone.lookup(query));
  }
}

inline DnsQuery query(DnsType type, const std::string& name) { return {name, type}; }

}  // namespace grayling::spf::test
