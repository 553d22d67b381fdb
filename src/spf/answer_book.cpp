#include "answer_book.hpp"

#include <algorithm>

namespace grayling::spf::detail {

const DnsAnswer* AnswerBook::find(const DnsQuery& query) {
  if (const auto found = answers_.find(query); found != answers_.end()) return &found->second;
  if (std::find(missing_.begin(), missing_.end(), query) == missing_.end()) missing_.push_back(query);
  return nullptr;
}

std::vector<DnsQuery> AnswerBook::take_missing() {
  std::vector<DnsQuery> missing;
  missing.swap(missing_);
  return missing;
}

}  // namespace grayling::spf::detail
