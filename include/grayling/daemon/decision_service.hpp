#pragma once
/// The store thread: the only owner of the Store, deciding requests in group-committed
/// batches and expiring old rows between them.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "grayling/config/config.hpp"
#include "grayling/core/decision.hpp"
#include "grayling/core/policy_engine.hpp"
#include "grayling/metrics/metrics.hpp"
#include "grayling/store/store.hpp"

namespace grayling {

/// Runs engine decisions against the store on a dedicated thread. Callers submit lookups
/// from any thread and get their decisions through a callback, invoked only after the
/// transaction holding their writes has committed.
///
/// A batch is: load every record the batch needs in one call, let the pure engine decide
/// each request over them, save every write in one call, commit. A networked store can
/// then serve a whole batch in one round trip.
class DecisionService {
 public:
  /// Receives one Decision per submitted lookup, in order. Runs where the Dispatcher puts
  /// it (the I/O thread in the daemon), or on the store thread when there is none.
  using Completion = std::function<void(std::vector<Decision>)>;
  /// Runs a closure on the callers' thread. One call per batch carries every completion of
  /// that batch, so a batch of 64 answers costs one cross-thread wake-up, not 64.
  using Dispatcher = std::function<void(std::function<void()>)>;
  /// The clock; injectable so tests can move time.
  using Clock = std::function<EpochSeconds()>;

  /// The engine in force; swapped whole on reload so a batch never sees half a config.
  using EnginePtr = std::shared_ptr<const PolicyEngine>;

  DecisionService(std::unique_ptr<Store> store, EnginePtr engine, StoreSettings settings,
                  Clock clock = system_clock);
  ~DecisionService();
  DecisionService(const DecisionService&) = delete;
  DecisionService& operator=(const DecisionService&) = delete;

  /// Sets where completions run; call before the first submit().
  void set_dispatcher(Dispatcher dispatcher) { dispatcher_ = std::move(dispatcher); }

  /// Sets what runs (through the dispatcher) when another process changed the store
  /// (grayling-admin delete, pass, import): the daemon forgets the passes it cached. The
  /// store is asked at least every kChangePollInterval (store.hpp), so by the time
  /// grayling-admin, which waits a little longer than that after its commit, returns,
  /// the daemon has heard.
  /// --metrics: the store thread counts batches, commits, errors, expiry and rows into
  /// `metrics` (its own shard, and the row gauges). Call once, before the first submit().
  void set_metrics(metrics::Metrics* metrics) { metrics_.store(metrics, std::memory_order_release); }

  /// Whether the store answered the last batch (for /readyz); from any thread.
  [[nodiscard]] bool store_usable() const { return !store_failing_.load(std::memory_order_relaxed); }

  /// Call once, before the first submit().
  void set_change_handler(std::function<void()> handler) {
    on_change_ = std::move(handler);
    has_change_handler_.store(true, std::memory_order_release);
  }

  /// Queues lookups, screened by `engine`, for the next batch; `engine` decides them too.
  /// False, and `done` dropped uncalled, when kMaxQueuedLookups already wait: the store
  /// has stalled, and the caller answers at once rather than let the queue grow.
  /// `with_store`, if given, is set now and cleared on the store thread as soon as the
  /// job's transaction has ended, before `done` is dispatched: a caller that stopped
  /// waiting (a timeout) can tell whether the store still has its job.
  [[nodiscard]] bool submit(EnginePtr engine, std::vector<TripletLookup> lookups, Completion done,
                            std::shared_ptr<std::atomic<bool>> with_store = nullptr);

  /// The most lookups the queue holds. Sessions keep one job each in it, so this bounds
  /// only what thousands of pipelining connections could queue against a stalled store.
  static constexpr std::size_t kMaxQueuedLookups = 16384;

  /// Lookups waiting for the store thread (not those of the batch it is deciding).
  [[nodiscard]] std::size_t queued_lookups() const;

  /// The current engine, for screening new requests.
  [[nodiscard]] EnginePtr engine() const;
  /// Installs a new engine (after SIGHUP); requests already screened keep theirs.
  void set_engine(EnginePtr engine);

  /// The settings in force (the store-error answer, the timeout, expiry, durability).
  [[nodiscard]] StoreSettings settings() const;
  /// Applies new settings from the next batch on (after SIGHUP). The store itself
  /// (URI, directory) is what it was: changing it needs a restart.
  void set_settings(StoreSettings settings);

  /// Finishes everything queued, commits, and joins the store thread. Idempotent.
  void stop();
  /// stop(), but waits at most `limit` for the store thread: false if it is still busy
  /// then (a store that hangs), and the thread is left running. The caller then has to
  /// end the process without destroying this object.
  [[nodiscard]] bool stop_within(std::chrono::milliseconds limit);

  /// Wall-clock seconds.
  static EpochSeconds system_clock();

 private:
  struct Job {
    EnginePtr engine;
    std::vector<TripletLookup> lookups;
    Completion done;
    std::shared_ptr<std::atomic<bool>> with_store;  // may be null
  };

  void run();
  /// Applies settings changed since the last batch; on the store thread.
  void adopt_settings();
  /// Moves queued jobs into `batch` (up to max_batch_requests lookups); needs mutex_.
  bool take_queued(std::vector<Job>& batch);
  [[nodiscard]] bool expiry_due() const;
  /// The keys every lookup of `jobs` needs, sorted and without repeats.
  static RecordKeys keys_of(const std::vector<Job>& jobs);
  /// Decides and answers `jobs` in one transaction; `preloaded` are their records when
  /// the transaction is already open with them loaded. If jobs queued up meanwhile, they
  /// are moved into `next` and, when the store could load them with this commit, their
  /// records are returned, their transaction open.
  std::optional<Records> decide_batch(std::vector<Job>& jobs, std::optional<Records> preloaded,
                                      std::vector<Job>& next);
  /// Decides every job's lookups inside the open transaction, from `loaded`; saves.
  std::vector<std::vector<Decision>> decide_in_transaction(const std::vector<Job>& jobs, Records loaded,
                                                           EpochSeconds now);
  bool expire_one_batch();
  /// Asks the store whether another process changed it, at most once per
  /// kChangePollInterval; due says the interval has passed.
  void notice_changes();
  [[nodiscard]] bool change_poll_due() const;
  void report_store_error(const std::string& what);

  std::unique_ptr<Store> store_;
  Clock clock_;
  Dispatcher dispatcher_;
  std::function<void()> on_change_;
  std::atomic<metrics::Metrics*> metrics_{nullptr};
  bool rows_counted_ = false;
  /// Sets the row gauges from a count of the tables (at start, after an expiry run, after
  /// another process changed the store): the running count between is the inserts.
  void recount_rows();
  std::atomic<bool> has_change_handler_{false};  // the store thread reads on_change_ once set
  std::int64_t next_change_poll_ns_ = 0;  // monotonic

  mutable std::mutex mutex_;
  EnginePtr engine_;
  StoreSettings pending_settings_;  // set by set_settings(), adopted by the store thread
  // Read without the lock before every batch; the lock is taken only when it is set.
  std::atomic<bool> settings_changed_{false};
  std::condition_variable wake_;
  std::deque<Job> queue_;
  std::size_t queued_lookups_ = 0;  // in queue_
  bool stopping_ = false;
  bool finished_ = false;  // run() has returned
  std::condition_variable finished_signal_;

  // Store-thread state: the settings in use, expiry progress, error rate limiting.
  StoreSettings settings_;
  EpochSeconds next_expiry_ = 0;
  bool expiry_running_ = false;
  std::size_t expiry_removed_ = 0;
  std::int64_t expiry_started_ns_ = 0;
  std::int64_t next_expiry_step_ns_ = 0;  // monotonic: when the next paced expiry step may run
  EpochSeconds last_error_report_ = 0;
  std::size_t errors_since_report_ = 0;
  std::atomic<bool> store_failing_{false};  // written by the store thread; read by /readyz

  std::thread thread_;  // last: starts after everything above is initialised
};

}  // namespace grayling
