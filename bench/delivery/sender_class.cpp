#include "sender_class.hpp"

namespace delivery {

namespace {

constexpr Seconds kHour = 3600;
constexpr Seconds kDay = 86400;

// Lifetimes: Postfix maximal_queue_lifetime 5d, Exim's last rule 4d (exim_debian_retry
// stops), sendmail Timeout.queuereturn 5d, qmail queuelifetime 7d, Exchange
// MessageExpirationTimeout 2d. The providers' (SES 12 h, Mailchimp 24 h, gateways 2 d) are
// assumptions. Spam gives up after its own attempts (max_attempts, drawn per message).
// Fields: id, label, category, rule, lifetime, jitter, new address per attempt, max attempts,
// weight.
constexpr std::array<SenderClass, kClassCount> kClasses{{
    {ClassId::postfix, "Postfix MTA", Category::own_mta, RetryRule::postfix, 5 * kDay, 5, false, 0, 230},
    {ClassId::exim, "Exim MTA (Debian retry rule)", Category::own_mta, RetryRule::exim_debian, 5 * kDay, 5, false, 0,
     110},
    {ClassId::sendmail, "sendmail MTA (-q10m)", Category::own_mta, RetryRule::sendmail, 5 * kDay, 5, false, 0, 50},
    {ClassId::qmail, "qmail MTA", Category::own_mta, RetryRule::qmail, 7 * kDay, 5, false, 0, 40},
    {ClassId::verp_list, "VERP mailing list (Postfix)", Category::own_mta, RetryRule::postfix, 5 * kDay, 5, false, 0,
     80},
    {ClassId::exchange_pool, "Exchange Online-like pool", Category::pool, RetryRule::exchange, 2 * kDay, 30, true, 0,
     250},
    {ClassId::ses_like, "SES-like ESP (sender per message)", Category::pool, RetryRule::ses_like, 12 * kHour, 20, true,
     0, 110},
    {ClassId::mailchimp_like, "Mailchimp-like ESP (sender per message)", Category::pool, RetryRule::mailchimp_like,
     kDay, 20, true, 0, 100},
    {ClassId::gateway_pool, "gateway pool (Proofpoint/Mimecast-like)", Category::pool, RetryRule::gateway, 2 * kDay, 30,
     true, 0, 110},
    {ClassId::fresh_own_mta, "fresh sender per attempt (own Postfix)", Category::fresh_sender, RetryRule::postfix,
     5 * kDay, 5, false, 0, 60},
    {ClassId::fresh_ses_pool, "fresh sender per attempt (SES-like pool)", Category::fresh_sender, RetryRule::ses_like,
     12 * kHour, 20, true, 0, 60},
    {ClassId::spam_no_retry, "spam: never retries", Category::spam, RetryRule::never, kDay, 0, false, 1, 2400},
    {ClassId::spam_quick_retry, "spam: retries within seconds", Category::spam, RetryRule::spam_quick, kDay, 0, false,
     0, 1100},
    {ClassId::spam_one_retry, "spam: one retry after 5–15 min", Category::spam, RetryRule::spam_once_later, kDay, 0,
     false, 2, 700},
    {ClassId::spam_compromised, "spam: compromised provider accounts", Category::spam, RetryRule::spam_compromised,
     kDay, 0, true, 0, 500},
    {ClassId::spam_snowshoe, "spam: snowshoe, retry from another address", Category::spam, RetryRule::spam_snowshoe,
     kDay, 0, true, 2, 300},
}};

constexpr bool listed_in_enum_order() {
  for (std::size_t i = 0; i < kClassCount; ++i) {
    if (index_of(kClasses[i].id) != i) return false;
  }
  return true;
}
static_assert(listed_in_enum_order(), "sender_class() indexes kClasses by ClassId");

}  // namespace

const std::array<SenderClass, kClassCount>& sender_classes() { return kClasses; }

const SenderClass& sender_class(ClassId id) { return kClasses[index_of(id)]; }

}  // namespace delivery
