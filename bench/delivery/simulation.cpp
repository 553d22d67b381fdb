#include "simulation.hpp"

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <queue>
#include <variant>

#include "attempt.hpp"
#include "grayling/store/memory_store.hpp"
#include "random.hpp"

namespace delivery {

using grayling::Decision;

namespace {

constexpr Seconds kExpiryInterval = 3600;
constexpr std::uint64_t kRetryStream = 4;

/// A delivery attempt due at `at`; ties go by message and attempt, so runs are repeatable.
struct Event {
  Seconds at = 0;
  std::size_t message = 0;
  int attempt = 0;
  auto operator<=>(const Event&) const = default;
};

/// One request through screen() and one store transaction, as DecisionService's
/// decide_in_transaction does for a batch of one.
Decision decide(const grayling::PolicyEngine& engine, const LookupBuilder& builder, grayling::Store& store,
                const grayling::PolicyRequest& request, Seconds now) {
  auto screened = engine.screen(request);
  if (auto* decided = std::get_if<Decision>(&screened)) return std::move(*decided);
  const grayling::TripletLookup lookup = builder.build(request, std::move(std::get<grayling::TripletLookup>(screened)));
  grayling::RecordKeys keys;
  grayling::PolicyEngine::add_keys(lookup, keys);
  keys.deduplicate();
  store.begin();
  grayling::RecordBatch batch(store.load(keys));
  Decision decision = engine.decide_into(lookup, batch, now);
  if (grayling::Writes writes = batch.writes(); !writes.empty()) store.save(writes);
  store.commit();
  return decision;
}

void expire(const grayling::PolicyEngine& engine, grayling::Store& store, Seconds now) {
  store.begin();
  (void)store.expire(engine.expiry_cutoffs(now), std::numeric_limits<std::size_t>::max());
  store.commit();
}

/// When the sender tries again after the deferred attempt `event`, or nullopt when it does
/// not: its rule, its jitter, its lifetime, its attempt limit. `history.phase` is the
/// sender's queue-run clock, set before the first attempt.
std::optional<Seconds> next_attempt(const Message& message, const Event& event, RetryHistory& history) {
  const SenderClass& kind = sender_class(message.sender_class);
  if (event.attempt == 0) {
    history.queued = event.at;
    history.previous_attempt = event.at;
    history.predicted = event.at;
  }
  history.last_attempt = event.at;
  history.attempts = event.attempt + 1;
  if (message.max_attempts > 0 && history.attempts >= message.max_attempts) return std::nullopt;
  Random random = Random::of(message.seed, static_cast<std::uint64_t>(event.attempt), kRetryStream);
  const auto retry = next_retry(kind.rule, history, random.unit());
  if (!retry) return std::nullopt;
  const Seconds at = retry->at + random.between(0, kind.jitter);
  if (at - history.queued > kind.lifetime) return std::nullopt;
  history.previous_attempt = event.at;
  history.predicted = retry->due;
  return at;
}

}  // namespace

Replay replay(const Trace& trace, const grayling::PolicyEngine& engine, const LookupBuilder& builder, Seconds end) {
  grayling::MemoryStore store;
  Replay result;
  result.outcomes.resize(trace.messages.size());
  std::vector<RetryHistory> histories(trace.messages.size());
  std::priority_queue<Event, std::vector<Event>, std::greater<>> due;
  for (std::size_t i = 0; i < trace.messages.size(); ++i) {
    const Message& message = trace.messages[i];
    if (message.server >= 0) histories[i].phase = trace.servers[static_cast<std::size_t>(message.server)].phase;
    due.push({message.arrival, i, 0});
  }

  Seconds next_expiry = trace.start + kExpiryInterval;
  while (!due.empty() && due.top().at <= end) {
    const Event event = due.top();
    due.pop();
    for (; next_expiry <= event.at; next_expiry += kExpiryInterval) expire(engine, store, next_expiry);

    const Message& message = trace.messages[event.message];
    const Attempt attempt = attempt_of(trace, message, event.attempt);
    const Decision decision = decide(engine, builder, store, request_of(attempt, message), event.at);
    ++result.requests;
    result.whitelisted += decision.reason == "client whitelist" || decision.reason == "recipient whitelist";
    result.auto_whitelisted += decision.reason == "client AWL";
    MessageOutcome& outcome = result.outcomes[event.message];
    outcome.attempts = event.attempt + 1;
    if (decision.outcome != Decision::Outcome::greylist) {
      result.skipped += decision.outcome == Decision::Outcome::skip;
      outcome.delivered = true;
      outcome.delay = event.at - message.arrival;
      continue;
    }
    if (const auto at = next_attempt(message, event, histories[event.message])) {
      due.push({*at, event.message, event.attempt + 1});
    }
  }
  return result;
}

}  // namespace delivery
