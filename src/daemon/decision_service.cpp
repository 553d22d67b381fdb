#include "grayling/daemon/decision_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace grayling {

namespace {
constexpr EpochSeconds kErrorReportInterval = 10;

std::int64_t monotonic_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

EpochSeconds DecisionService::system_clock() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

DecisionService::DecisionService(std::unique_ptr<Store> store, EnginePtr engine, StoreSettings settings, Clock clock)
    : store_(std::move(store)),
      clock_(std::move(clock)),
      engine_(std::move(engine)),
      pending_settings_(settings),
      settings_(std::move(settings)) {
  // The first expiry waits one interval: a restart must not start with a long delete.
  next_expiry_ = clock_() + settings_.expiry_interval_seconds;
  thread_ = std::thread([this] {
    run();
    std::lock_guard lock(mutex_);
    finished_ = true;
    finished_signal_.notify_all();
  });
}

DecisionService::~DecisionService() { stop(); }

bool DecisionService::submit(EnginePtr engine, std::vector<TripletLookup> lookups, Completion done,
                             std::shared_ptr<std::atomic<bool>> with_store) {
  std::size_t queued = 0;
  {
    std::lock_guard lock(mutex_);
    if (queued_lookups_ + lookups.size() > kMaxQueuedLookups && !queue_.empty()) return false;
    queued_lookups_ += lookups.size();
    queued = queued_lookups_;
    if (with_store) with_store->store(true, std::memory_order_release);
    queue_.push_back(Job{std::move(engine), std::move(lookups), std::move(done), std::move(with_store)});
  }
  if (metrics::Metrics* metrics = metrics_.load(std::memory_order_acquire)) {
    metrics->store_queue.set(static_cast<std::int64_t>(queued));
  }
  wake_.notify_one();
  return true;
}

std::size_t DecisionService::queued_lookups() const {
  std::lock_guard lock(mutex_);
  return queued_lookups_;
}

DecisionService::EnginePtr DecisionService::engine() const {
  std::lock_guard lock(mutex_);
  return engine_;
}

void DecisionService::set_engine(EnginePtr engine) {
  std::lock_guard lock(mutex_);
  engine_ = std::move(engine);
}

StoreSettings DecisionService::settings() const {
  std::lock_guard lock(mutex_);
  return pending_settings_;
}

void DecisionService::set_settings(StoreSettings settings) {
  {
    std::lock_guard lock(mutex_);
    pending_settings_ = std::move(settings);
    settings_changed_ = true;
  }
  wake_.notify_one();
}

void DecisionService::adopt_settings() {
  if (!settings_changed_.load(std::memory_order_acquire)) return;
  StoreSettings fresh;
  {
    std::lock_guard lock(mutex_);
    settings_changed_ = false;
    fresh = pending_settings_;
  }
  if (fresh.expiry_interval_seconds != settings_.expiry_interval_seconds && !expiry_running_) {
    next_expiry_ = clock_() + fresh.expiry_interval_seconds;
  }
  if (fresh.sync != settings_.sync) {
    try {
      store_->set_sync(fresh.sync);
    } catch (const std::exception& e) {
      report_store_error(e.what());  // the next open of the store uses the new mode anyway
    }
  }
  settings_ = std::move(fresh);
}

void DecisionService::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

bool DecisionService::stop_within(std::chrono::milliseconds limit) {
  {
    std::unique_lock lock(mutex_);
    stopping_ = true;
    wake_.notify_one();
    if (!finished_signal_.wait_for(lock, limit, [this] { return finished_; })) return false;
  }
  if (thread_.joinable()) thread_.join();
  return true;
}

bool DecisionService::take_queued(std::vector<Job>& batch) {
  // Group commit: everything that queued up while the last batch was committing goes
  // into this transaction (bounded, so one batch cannot hold the store long).
  std::size_t lookups = 0;
  while (!queue_.empty() && lookups < settings_.max_batch_requests) {
    lookups += queue_.front().lookups.size();
    queued_lookups_ -= queue_.front().lookups.size();
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  if (lookups > 0) {
    if (metrics::Metrics* metrics = metrics_.load(std::memory_order_acquire)) {
      metrics->store_queue.set(static_cast<std::int64_t>(queued_lookups_));
    }
  }
  return !batch.empty();
}

bool DecisionService::expiry_due() const {
  return expiry_running_ ? monotonic_ns() >= next_expiry_step_ns_ : clock_() >= next_expiry_;
}

void DecisionService::run() {
  std::vector<Job> batch;
  std::optional<Records> preloaded;  // batch's records, loaded in the open transaction
  for (;;) {
    if (batch.empty()) {
      std::unique_lock lock(mutex_);
      // Idle, the thread still wakes every kChangePollInterval to hear of grayling-admin's changes.
      const std::int64_t poll = std::chrono::nanoseconds(kChangePollInterval).count();
      const std::int64_t until_step =
          expiry_running_ ? std::clamp<std::int64_t>(next_expiry_step_ns_ - monotonic_ns(), 0, poll) : poll;
      wake_.wait_for(lock, std::chrono::nanoseconds(until_step), [this] { return !queue_.empty() || stopping_; });
      take_queued(batch);
      if (batch.empty() && stopping_) return;
      lock.unlock();
      adopt_settings();
    }
    notice_changes();
    if (!rows_counted_ && batch.empty() && !preloaded && metrics_.load(std::memory_order_acquire)) recount_rows();
    if (!batch.empty()) {
      std::vector<Job> next;
      preloaded = decide_batch(batch, std::move(preloaded), next);
      batch = std::move(next);
    }
    // Between chains of batches, one bounded expiry step: a busy daemon still expires
    // (decide_batch breaks the chain when a step is due), and no request waits behind
    // more than one small delete. Steps are paced (see expire_one_batch) so expiry takes
    // at most a fifth of a core from the requests.
    if (batch.empty() && expiry_due()) expire_one_batch();
  }
}

bool DecisionService::change_poll_due() const {
  return has_change_handler_.load(std::memory_order_acquire) && monotonic_ns() >= next_change_poll_ns_;
}

void DecisionService::notice_changes() {
  if (!change_poll_due()) return;
  const std::int64_t now = monotonic_ns();
  next_change_poll_ns_ = now + std::chrono::nanoseconds(kChangePollInterval).count();
  bool changed = false;
  try {
    changed = store_->changed_elsewhere();
  } catch (const std::exception&) {
    changed = true;  // cannot tell: forgetting cached passes costs only a lookup each
  }
  if (!changed) return;
  if (metrics_.load(std::memory_order_acquire)) recount_rows();
  // Through the dispatcher, in order with completions: a batch decided after the change
  // is answered after the cache was cleared.
  if (dispatcher_) {
    dispatcher_(on_change_);
  } else {
    on_change_();
  }
}

void DecisionService::recount_rows() {
  metrics::Metrics* metrics = metrics_.load(std::memory_order_acquire);
  if (!metrics) return;
  try {
    metrics->triplet_rows.set(static_cast<std::int64_t>(store_->triplet_count()));
    metrics->client_rows.set(static_cast<std::int64_t>(store_->client_count()));
    rows_counted_ = true;
  } catch (const std::exception&) {
    rows_counted_ = false;  // the store is failing: counted again once it is back
  }
}

RecordKeys DecisionService::keys_of(const std::vector<Job>& jobs) {
  RecordKeys keys;
  for (const auto& job : jobs) {
    for (const auto& lookup : job.lookups) PolicyEngine::add_keys(lookup, keys);
  }
  keys.deduplicate();
  return keys;
}

std::vector<std::vector<Decision>> DecisionService::decide_in_transaction(const std::vector<Job>& jobs, Records loaded,
                                                                         EpochSeconds now) {
  // A store several hosts share brings its own clock: they must agree on first_seen.
  if (loaded.now) now = *loaded.now;
  // The rows that exist, to count the writes that add one (the row gauges run on it).
  metrics::Metrics* metrics = metrics_.load(std::memory_order_acquire);
  std::vector<std::string_view> existing_triplets, existing_clients;
  if (metrics) {
    for (const auto& [key, record] : loaded.triplets) existing_triplets.push_back(key);
    for (const auto& [key, record] : loaded.clients) existing_clients.push_back(key);
    std::sort(existing_triplets.begin(), existing_triplets.end());
    std::sort(existing_clients.begin(), existing_clients.end());
  }
  // One load for the whole batch; each decision then sees the writes of those before it.
  RecordBatch batch(std::move(loaded));
  std::vector<std::vector<Decision>> results;
  results.reserve(jobs.size());
  const std::optional<EpochSeconds> cache_limit = store_->pass_cache_seconds();
  const EpochSeconds cache_ends = clock_() + cache_limit.value_or(0);  // the pass cache runs on this host's clock
  for (const auto& job : jobs) {
    auto& decisions = results.emplace_back();
    decisions.reserve(job.lookups.size());
    for (const auto& lookup : job.lookups) {
      Decision& decision = decisions.emplace_back(job.engine->decide_into(lookup, batch, now));
      if (cache_limit && decision.cache_until) decision.cache_until = std::min(*decision.cache_until, cache_ends);
    }
  }
  if (Writes writes = batch.writes(); !writes.empty()) {
    store_->save(writes);
    if (metrics) {
      std::int64_t new_triplets = 0, new_clients = 0;
      for (const auto& [key, record] : writes.triplets) {
        new_triplets += !std::binary_search(existing_triplets.begin(), existing_triplets.end(), key);
      }
      for (const auto& [key, record] : writes.clients) {
        new_clients += !std::binary_search(existing_clients.begin(), existing_clients.end(), key);
      }
      metrics->triplet_rows.add(new_triplets);
      metrics->client_rows.add(new_clients);
    }
  }
  return results;
}

std::optional<Records> DecisionService::decide_batch(std::vector<Job>& jobs, std::optional<Records> preloaded,
                                                     std::vector<Job>& next) {
  // Two hosts wanting the same rows at once may cost one of them its transaction
  // (serialization failure, deadlock): the batch is run again, from its load.
  constexpr int kAttempts = 3;
  std::vector<std::vector<Decision>> results;
  std::optional<Records> next_loaded;
  for (int attempt = 1;; ++attempt) {
    try {
      if (!preloaded) {
        store_->begin();
        preloaded = store_->load(keys_of(jobs));
      }
      results = decide_in_transaction(jobs, std::move(*preloaded), clock_());
      preloaded.reset();
      // A batch that queued up meanwhile begins with this commit, in the same round
      // trip. Not when expiry, new settings or a look for other processes' changes wait:
      // they need the store between transactions (PostgreSQL delivers a notification
      // only to a session outside one).
      bool chained = false;
      if (!expiry_due() && !settings_changed_.load(std::memory_order_acquire) && !change_poll_due()) {
        std::lock_guard lock(mutex_);
        chained = next.empty() && take_queued(next);
      }
      const auto commit_started = std::chrono::steady_clock::now();
      if (chained) {
        next_loaded = store_->commit_and_load(keys_of(next));
      } else {
        store_->commit();
      }
      if (metrics::Metrics* metrics = metrics_.load(std::memory_order_acquire)) {
        std::size_t requests = 0;
        for (const auto& job : jobs) requests += job.lookups.size();
        metrics->store.batch_requests.observe(static_cast<double>(requests));
        metrics->store.commit_duration.observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - commit_started).count());
      }
      if (store_failing_) {
        spdlog::info("store is usable again; greylisting resumed");
        store_failing_ = false;
      }
      break;
    } catch (const StoreConflict& e) {
      preloaded.reset();
      store_->rollback();
      if (attempt < kAttempts) continue;
      report_store_error(e.what());
    } catch (const std::exception& e) {
      preloaded.reset();
      store_->rollback();
      report_store_error(e.what());
    }
    results.clear();  // decided, maybe, but not committed: nobody may hear of them
    for (const auto& job : jobs) {
      results.emplace_back(job.lookups.size(), Decision::store_unavailable(settings_.on_error, "store unavailable"));
    }
    break;
  }
  for (const auto& job : jobs) {
    if (job.with_store) job.with_store->store(false, std::memory_order_release);
  }
  // Only now, after the commit, may anyone hear about these decisions.
  if (!dispatcher_) {
    for (std::size_t i = 0; i < jobs.size(); ++i) jobs[i].done(std::move(results[i]));
    jobs.clear();
    return next_loaded;
  }
  auto finished = std::make_shared<std::pair<std::vector<Job>, std::vector<std::vector<Decision>>>>(
      std::move(jobs), std::move(results));
  dispatcher_([finished] {
    auto& [done_jobs, done_results] = *finished;
    for (std::size_t i = 0; i < done_jobs.size(); ++i) done_jobs[i].done(std::move(done_results[i]));
  });
  jobs.clear();
  return next_loaded;
}

void DecisionService::report_store_error(const std::string& what) {
  store_failing_ = true;
  if (metrics::Metrics* metrics = metrics_.load(std::memory_order_acquire)) metrics->store.store_errors.add();
  ++errors_since_report_;
  const EpochSeconds now = clock_();
  if (now - last_error_report_ < kErrorReportInterval) return;
  const char* answer = settings_.on_error == StoreErrorAction::dunno ? "DUNNO (fail open)" : "451 (tempfail)";
  spdlog::error("store error: {}; answering {} until it recovers ({} failed batches since last report)", what, answer,
                errors_since_report_);
  last_error_report_ = now;
  errors_since_report_ = 0;
}

bool DecisionService::expire_one_batch() {
  const EpochSeconds now = clock_();
  if (!expiry_running_) {
    expiry_running_ = true;
    expiry_removed_ = 0;
    expiry_started_ns_ = monotonic_ns();
  }
  std::size_t removed = 0;
  const std::int64_t step_started = monotonic_ns();
  try {
    store_->begin();
    removed = store_->expire(engine()->expiry_cutoffs(now), settings_.expiry_batch_rows);
    store_->commit();
  } catch (const std::exception& e) {
    store_->rollback();
    report_store_error(e.what());
    removed = 0;
  }
  expiry_removed_ += removed;
  metrics::Metrics* metrics = metrics_.load(std::memory_order_acquire);
  if (metrics) {
    metrics->store.expiry_rows.add(removed);
    metrics->store.expiry_micros.add(static_cast<std::uint64_t>((monotonic_ns() - step_started) / 1000));
  }
  // Rest four times as long as the step took: expiry then uses at most a fifth of a core,
  // and a million rows still go in well under a minute.
  next_expiry_step_ns_ = monotonic_ns() + 4 * (monotonic_ns() - step_started);
  if (removed < settings_.expiry_batch_rows) {
    expiry_running_ = false;
    next_expiry_ = now + settings_.expiry_interval_seconds;
    const double millis = static_cast<double>(monotonic_ns() - expiry_started_ns_) / 1e6;
    spdlog::info("expiry: removed {} rows in {:.1f} ms", expiry_removed_, millis);
    if (metrics) {
      metrics->store.expiry_runs.add();
      recount_rows();
    }
  }
  return expiry_running_;
}

}  // namespace grayling
