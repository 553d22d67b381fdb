#pragma once
// The DNS answers one check has been given, and the questions it found unanswered while
// trying to go on. Evaluation is re-run from the start of the current step whenever it
// finds a question unanswered, so every lookup goes through here.

#include <map>
#include <vector>

#include "grayling/spf/dns.hpp"

namespace grayling::spf::detail {

class AnswerBook {
 public:
  /// The answer to `query`, or null after noting the query as missing.
  const DnsAnswer* find(const DnsQuery& query);

  void add(const DnsQuery& query, DnsAnswer answer) { answers_.insert_or_assign(query, std::move(answer)); }

  /// The queries noted missing since the last call, each once, in the order first noted.
  std::vector<DnsQuery> take_missing();

 private:
  std::map<DnsQuery, DnsAnswer> answers_;
  std::vector<DnsQuery> missing_;
};

}  // namespace grayling::spf::detail
