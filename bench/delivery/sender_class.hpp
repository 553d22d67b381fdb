#pragma once
/// The kinds of sender a trace is made of: how each retries, for how long, from where, and
/// how many of a trace's messages it sends.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "retry_schedule.hpp"

namespace delivery {

/// What the targets look at: own MTAs (one or two servers), provider pools, senders with a
/// fresh envelope sender per attempt, and spam.
enum class Category : std::uint8_t { own_mta, pool, fresh_sender, spam };

enum class ClassId : std::uint8_t {
  postfix,
  exim,
  sendmail,
  qmail,
  verp_list,
  exchange_pool,
  ses_like,
  mailchimp_like,
  gateway_pool,
  fresh_own_mta,
  fresh_ses_pool,
  spam_no_retry,
  spam_quick_retry,
  spam_one_retry,
  spam_compromised,
  spam_snowshoe,
};
inline constexpr std::size_t kClassCount = 16;

/// One kind of sender.
struct SenderClass {
  ClassId id;
  std::string_view label;
  Category category;
  RetryRule rule;
  Seconds lifetime;              // the sender gives up this long after the first attempt
  Seconds jitter;                // each retry comes up to this much later than scheduled (queue handling)
  bool new_address_per_attempt;  // a pool: each attempt from any of its addresses
  int max_attempts;              // 0: until delivered or given up; spam sets its own per message
  int weight;                    // messages per 1,200 legitimate or per 5,000 spam
};

[[nodiscard]] const std::array<SenderClass, kClassCount>& sender_classes();
[[nodiscard]] const SenderClass& sender_class(ClassId id);
[[nodiscard]] constexpr std::size_t index_of(ClassId id) { return static_cast<std::size_t>(id); }
[[nodiscard]] inline bool is_spam(ClassId id) { return sender_class(id).category == Category::spam; }

}  // namespace delivery
