#include "retry_schedule.hpp"

#include <algorithm>
#include <cmath>

namespace delivery {

namespace {

constexpr Seconds kMinute = 60;
constexpr Seconds kHour = 3600;
constexpr Seconds kDay = 86400;

Retry at_once(Seconds due) { return Retry{due, due}; }

/// ⌊√x⌋ in integers, as qmail-send's squareroot().
Seconds integer_sqrt(Seconds x) {
  if (x <= 0) return 0;
  auto root = static_cast<Seconds>(std::sqrt(static_cast<double>(x)));
  while (root * root > x) --root;
  while ((root + 1) * (root + 1) <= x) ++root;
  return root;
}

Seconds spread(Seconds low, Seconds high, double draw) {
  return low + static_cast<Seconds>(draw * static_cast<double>(high - low + 1));
}

}  // namespace

Seconds next_queue_run(Seconds time, Seconds phase, Seconds interval) {
  const Seconds since = time - phase;
  const Seconds runs = since <= 0 ? 0 : (since + interval - 1) / interval;
  return phase + runs * interval;
}

// qmgr_active.c: a deferred message's queue file time moves `delay` into the future, where
// delay is its time in the queue clamped to minimal_backoff_time (300 s) and
// maximal_backoff_time (4000 s) — effectively doubling. The deferred queue is scanned every
// queue_run_delay (300 s); the message goes out at the first scan after that time.
Retry postfix_retry(const RetryHistory& history) {
  constexpr Seconds kMinimalBackoff = 300;
  constexpr Seconds kMaximalBackoff = 4000;
  constexpr Seconds kQueueRunDelay = 300;
  const Seconds delay = std::clamp(history.last_attempt - history.queued, kMinimalBackoff, kMaximalBackoff);
  const Seconds due = history.last_attempt + delay;
  return Retry{next_queue_run(due, history.phase, kQueueRunDelay), due};
}

// Debian's exim4 default "* * F,2h,15m; G,16h,1h,1.5; F,4d,6h": a rule applies while the time
// since the first failure is below its cut-off. For G, exim's retry.c takes the last gap as
// the smaller of the predicted one (next_try - last_try) and the actual one (now -
// last_try) and waits max(1h, gap * 1.5). Debian runs a queue runner every 30 minutes
// (QUEUEINTERVAL='30m'); a retry happens at the first run after next_try.
std::optional<Retry> exim_debian_retry(const RetryHistory& history) {
  constexpr Seconds kQueueInterval = 30 * kMinute;
  const Seconds now = history.last_attempt;
  const Seconds failing_for = now - history.queued;
  Seconds gap = 0;
  if (failing_for < 2 * kHour) {
    gap = 15 * kMinute;
  } else if (failing_for < 16 * kHour) {
    const Seconds predicted_gap = history.predicted - history.previous_attempt;
    const Seconds actual_gap = now - history.previous_attempt;
    const Seconds last_gap = std::min(predicted_gap, actual_gap);
    gap = last_gap < kHour ? kHour : last_gap * 3 / 2;
  } else if (failing_for < 4 * kDay) {
    gap = 6 * kHour;
  } else {
    return std::nullopt;
  }
  const Seconds due = now + gap;
  return Retry{next_queue_run(due, history.phase, kQueueInterval), due};
}

// sendmail -q10m: every queue run tries every queued message (MinQueueAge 0).
Retry sendmail_retry(const RetryHistory& history) {
  constexpr Seconds kQueueInterval = 10 * kMinute;
  const Seconds due = history.last_attempt + 1;
  return Retry{next_queue_run(due, history.phase, kQueueInterval), due};
}

// qmail-send.c nextretry(): birth + (⌊√(now − birth)⌋ + chanskip)², chanskip 20 for the
// remote channel — attempts 400 s, 1600 s, 3600 s, 6400 s… after arrival ((20 n)²).
Retry qmail_retry(const RetryHistory& history) {
  constexpr Seconds kRemoteChanskip = 20;
  const Seconds n = integer_sqrt(history.last_attempt - history.queued) + kRemoteChanskip;
  return at_once(history.queued + n * n);
}

// Exchange transport defaults: TransientFailureRetryCount 6 at TransientFailureRetryInterval
// 5 min, then MessageRetryInterval 15 min.
Retry exchange_retry(const RetryHistory& history) {
  return at_once(history.last_attempt + (history.attempts <= 6 ? 5 * kMinute : 15 * kMinute));
}

// Not documented by Amazon: assumed exponential, 90 s doubling, at most 30 min apart.
Retry ses_like_retry(const RetryHistory& history) {
  const int doublings = std::clamp(history.attempts - 1, 0, 10);
  return at_once(history.last_attempt + std::min<Seconds>(90 << doublings, 30 * kMinute));
}

// Not documented: assumed every 10 minutes for the first hour, then hourly.
Retry mailchimp_like_retry(const RetryHistory& history) {
  return at_once(history.last_attempt + (history.attempts <= 6 ? 10 * kMinute : kHour));
}

// Not documented for Proofpoint or Mimecast: assumed every 10 minutes for 2 hours, then every
// 30 minutes.
Retry gateway_retry(const RetryHistory& history) {
  const bool early = history.last_attempt - history.queued < 2 * kHour;
  return at_once(history.last_attempt + (early ? 10 * kMinute : 30 * kMinute));
}

std::optional<Retry> next_retry(RetryRule rule, const RetryHistory& history, double draw) {
  const Seconds now = history.last_attempt;
  switch (rule) {
    case RetryRule::postfix:
      return postfix_retry(history);
    case RetryRule::exim_debian:
      return exim_debian_retry(history);
    case RetryRule::sendmail:
      return sendmail_retry(history);
    case RetryRule::qmail:
      return qmail_retry(history);
    case RetryRule::exchange:
      return exchange_retry(history);
    case RetryRule::ses_like:
      return ses_like_retry(history);
    case RetryRule::mailchimp_like:
      return mailchimp_like_retry(history);
    case RetryRule::gateway:
      return gateway_retry(history);
    case RetryRule::spam_quick:
      return at_once(now + spread(2, 40, draw));
    case RetryRule::spam_once_later:
      return at_once(now + spread(5 * kMinute, 15 * kMinute, draw));
    case RetryRule::spam_compromised:
      return at_once(now + spread(5, 60, draw));
    case RetryRule::spam_snowshoe:
      return at_once(now + spread(10 * kMinute, 20 * kMinute, draw));
    case RetryRule::never:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace delivery
