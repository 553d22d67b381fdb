#pragma once
/// The store thread: the only owner of the Store, deciding requests in group-committed
/// batches and expiring old rows between them.

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "grayling/config.hpp"
#include "grayling/decision.hpp"
#include "grayling/policy_engine.hpp"
#include "grayling/store.hpp"

namespace grayling {

/// Runs engine decisions against the store on a dedicated thread. Callers submit lookups
/// from any thread and get their decisions through a callback, invoked on the store thread
/// only after the transaction holding their writes has committed.
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

  /// Opens the store again after it failed for good: `discard` asks to move a corrupt
  /// database aside first. May throw StoreError.
  using StoreOpener = std::function<std::unique_ptr<Store>(bool discard)>;

  DecisionService(std::unique_ptr<Store> store, EnginePtr engine, StoreSettings settings,
                  Clock clock = system_clock, StoreOpener reopen = {});
  ~DecisionService();
  DecisionService(const DecisionService&) = delete;
  DecisionService& operator=(const DecisionService&) = delete;

  /// Sets where completions run; call before the first submit().
  void set_dispatcher(Dispatcher dispatcher) { dispatcher_ = std::move(dispatcher); }

  /// Queues lookups, screened by `engine`, for the next batch; `engine` decides them too.
  void submit(EnginePtr engine, std::vector<TripletLookup> lookups, Completion done);

  /// The current engine, for screening new requests.
  [[nodiscard]] EnginePtr engine() const;
  /// Installs a new engine (after SIGHUP); requests already screened keep theirs.
  void set_engine(EnginePtr engine);

  /// Finishes everything queued, commits, and joins the store thread. Idempotent.
  void stop();

  /// Wall-clock seconds.
  static EpochSeconds system_clock();

 private:
  struct Job {
    EnginePtr engine;
    std::vector<TripletLookup> lookups;
    Completion done;
  };

  void run();
  void decide_batch(std::vector<Job>& jobs);
  /// What every request of a failed batch is answered (--store-error-action).
  [[nodiscard]] std::vector<Decision> failure_decisions(std::size_t count) const;
  bool expire_one_batch();
  void report_store_error(const std::string& what);
  /// Handles a failure that retrying cannot fix (corruption, file gone): reopen the store.
  void replace_store(bool discard, const std::string& why);
  /// Makes sure a usable store is there before a transaction; false if none can be had.
  bool ensure_store();

  std::unique_ptr<Store> store_;
  StoreSettings settings_;
  Clock clock_;
  StoreOpener reopen_;
  Dispatcher dispatcher_;

  mutable std::mutex mutex_;
  EnginePtr engine_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool stopping_ = false;

  // Store-thread state: expiry progress and error rate limiting.
  EpochSeconds next_expiry_ = 0;
  bool expiry_running_ = false;
  std::size_t expiry_removed_ = 0;
  std::int64_t expiry_started_ns_ = 0;
  std::int64_t next_expiry_step_ns_ = 0;  // monotonic: when the next paced expiry step may run
  EpochSeconds last_error_report_ = 0;
  std::size_t errors_since_report_ = 0;
  bool store_failing_ = false;
  EpochSeconds last_health_check_ = 0;
  EpochSeconds last_reopen_attempt_ = 0;

  std::thread thread_;  // last: starts after everything above is initialised
};

}  // namespace grayling
