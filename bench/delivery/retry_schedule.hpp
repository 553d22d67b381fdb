#pragma once
/// When a sender tries a deferred message again: each kind of sender's schedule as a pure
/// function of what it remembers about the message. The MTAs' rules are their documented
/// (or source-code) defaults; the providers' are stated assumptions (see retry_schedule.cpp).

#include <cstdint>
#include <optional>

namespace delivery {

/// Epoch seconds, or a number of seconds.
using Seconds = std::int64_t;

enum class RetryRule : std::uint8_t {
  postfix,           // backoff = time in queue, clamped to 300…4000 s, at 300 s queue scans
  exim_debian,       // Debian's "F,2h,15m; G,16h,1h,1.5; F,4d,6h", 30-minute queue runners
  sendmail,          // every 10-minute queue run
  qmail,             // qmail-send's quadratic schedule, remote chanskip 20
  exchange,          // 6 retries 5 minutes apart, then every 15 minutes
  ses_like,          // assumed: 90 s doubling to 30 min
  mailchimp_like,    // assumed: every 10 min for an hour, then hourly
  gateway,           // assumed: every 10 min for 2 h, then every 30 min
  spam_quick,        // 2–40 s after each attempt
  spam_once_later,   // once, 5–15 min later
  spam_compromised,  // once, 5–60 s later
  spam_snowshoe,     // once, 10–20 min later
  never,
};

/// What a sender remembers about a deferred message when it schedules the next attempt.
struct RetryHistory {
  Seconds queued = 0;            // the first attempt (every sender tries at once on arrival)
  Seconds last_attempt = 0;      // the attempt just deferred
  Seconds previous_attempt = 0;  // the one before it; equal to last_attempt after the first
  Seconds predicted = 0;         // the retry time the previous deferral set (Exim's next_try)
  int attempts = 0;              // attempts so far, the one just deferred included
  Seconds phase = 0;             // this sender's queue runs happen at phase + k * interval
};

/// The next attempt: when the sender meant it to happen (`due`), and when it does (`at`),
/// later for senders that look at their queue only in periodic runs.
struct Retry {
  Seconds at = 0;
  Seconds due = 0;
};

/// The first queue run at or after `time`, for runs at phase + k * interval.
[[nodiscard]] Seconds next_queue_run(Seconds time, Seconds phase, Seconds interval);

[[nodiscard]] Retry postfix_retry(const RetryHistory& history);
/// nullopt once the last rule's 4 days are over: Exim gives up.
[[nodiscard]] std::optional<Retry> exim_debian_retry(const RetryHistory& history);
[[nodiscard]] Retry sendmail_retry(const RetryHistory& history);
[[nodiscard]] Retry qmail_retry(const RetryHistory& history);
[[nodiscard]] Retry exchange_retry(const RetryHistory& history);
[[nodiscard]] Retry ses_like_retry(const RetryHistory& history);
[[nodiscard]] Retry mailchimp_like_retry(const RetryHistory& history);
[[nodiscard]] Retry gateway_retry(const RetryHistory& history);

/// The next attempt by `rule`; nullopt when the sender does not retry. `draw` in [0, 1)
/// places a spam retry within its range.
[[nodiscard]] std::optional<Retry> next_retry(RetryRule rule, const RetryHistory& history, double draw);

}  // namespace delivery
