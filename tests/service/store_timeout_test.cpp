// --store-timeout, end to end in one process: a store that stalls (a hung disk, a networked
// store that stopped answering) must not stall Postfix's smtpd, which waits up to 100 s per
// policy query. A real Server on a loopback port and a real DecisionService run over a store
// that blocks on purpose, and a real client asks. The reply must come after the timeout and
// while the store is still stuck, worded per --store-error-action; the timeout is logged; the
// late decision is still committed once the store moves again, without a second reply on the
// connection; and from then on requests are greylisted normally.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "asio.hpp"
#include "grayling/core/listen_endpoint.hpp"
#include "grayling/daemon/decision_service.hpp"
#include "grayling/daemon/server.hpp"
#include "grayling/store/memory_store.hpp"
#include "support/free_port.hpp"
#include "support/policy_client.hpp"

namespace grayling {
namespace {

using namespace std::chrono_literals;
using test::PolicyClient;
using test::rcpt_request;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kStoreTimeoutMs = 300;
// Longer than any wait below: a store the test forgot to release fails the test, but can
// never hang ctest.
constexpr auto kLongestStall = 20s;

/// A MemoryStore whose load() (the first call of a batch's transaction) stalls while the
/// test holds it blocked. Every call takes one mutex, so the test thread may count rows
/// while the store thread works.
class BlockingStore final : public Store {
 public:
  /// From now on, load() waits until release().
  void block() {
    std::lock_guard lock(mutex_);
    blocked_ = true;
  }

  /// Lets every stalled and future load() through.
  void release() {
    {
      std::lock_guard lock(mutex_);
      blocked_ = false;
    }
    changed_.notify_all();
  }

  /// True once a load() is stuck waiting for release(), within `timeout`.
  bool wait_until_stalled(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [this] { return stalled_ > 0; });
  }

  /// True if a load() is stuck waiting for release() right now.
  bool stalled() {
    std::lock_guard lock(mutex_);
    return stalled_ > 0;
  }

  /// True once `rows` triplets are committed, within `timeout`.
  bool wait_for_triplets(std::size_t rows, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return committed_triplets_ == rows; });
  }

  void begin() override {
    std::lock_guard lock(mutex_);
    inner_.begin();
  }
  void commit() override {
    {
      std::lock_guard lock(mutex_);
      inner_.commit();
      committed_triplets_ = inner_.triplet_count();
    }
    changed_.notify_all();  // wait_for_triplets() looks again
  }
  void rollback() noexcept override {
    std::lock_guard lock(mutex_);
    inner_.rollback();
  }
  Records load(const RecordKeys& keys) override {
    std::unique_lock lock(mutex_);
    if (blocked_) {
      ++stalled_;
      changed_.notify_all();
      changed_.wait_for(lock, kLongestStall, [this] { return !blocked_; });
      --stalled_;
    }
    return inner_.load(keys);
  }
  void save(const Writes& writes) override {
    std::lock_guard lock(mutex_);
    inner_.save(writes);
  }
  std::size_t expire(const ExpiryCutoffs& cutoffs, std::size_t max_rows) override {
    std::lock_guard lock(mutex_);
    return inner_.expire(cutoffs, max_rows);
  }
  std::vector<TripletRow> triplet_rows(std::int64_t from_id, std::size_t limit) override {
    std::lock_guard lock(mutex_);
    return inner_.triplet_rows(from_id, limit);
  }
  std::vector<ClientRow> client_rows(std::int64_t from_id, std::size_t limit) override {
    std::lock_guard lock(mutex_);
    return inner_.client_rows(from_id, limit);
  }
  void merge(const std::vector<TripletRow>& triplets, const std::vector<ClientRow>& clients) override {
    std::lock_guard lock(mutex_);
    inner_.merge(triplets, clients);
  }
  std::size_t remove(const std::vector<std::int64_t>& triplet_ids, const std::vector<std::int64_t>& client_ids) override {
    std::lock_guard lock(mutex_);
    return inner_.remove(triplet_ids, client_ids);
  }
  StoreStats stats(const ExpiryCutoffs& cutoffs) override {
    std::lock_guard lock(mutex_);
    return inner_.stats(cutoffs);
  }
  std::size_t triplet_count() override {
    std::lock_guard lock(mutex_);
    return inner_.triplet_count();
  }
  std::size_t client_count() override {
    std::lock_guard lock(mutex_);
    return inner_.client_count();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool blocked_ = false;
  int stalled_ = 0;  // load() calls now waiting for release()
  // As of the last commit: save() already counts in inner_, before the commit it waits for.
  std::size_t committed_triplets_ = 0;
  MemoryStore inner_;
};

/// The daemon's reply for a new triplet: rcpt_request() sends no etrn_domain, so no "4.2.0 ".
std::string greylist_reply(const std::string& domain) {
  return "action=DEFER_IF_PERMIT Greylisted, see http://postgrey.schweikert.ch/help/" + domain + ".html\n\n";
}

/// What run_daemon() wires together, on a free loopback port, with the log captured: the
/// I/O thread runs the Server, the store thread the DecisionService over a BlockingStore.
class InProcessDaemon {
 public:
  explicit InProcessDaemon(StoreErrorAction action) : previous_logger_(spdlog::default_logger()) {
    spdlog::set_default_logger(
        std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log_)));
    auto owned = std::make_unique<BlockingStore>();
    store_ = owned.get();
    StoreSettings store_settings;
    store_settings.on_error = action;
    store_settings.timeout_ms = kStoreTimeoutMs;
    service_.emplace(std::move(owned), std::make_shared<const PolicyEngine>(EngineSettings{}), store_settings);
    // Exactly as run_daemon(): completions come back to the I/O thread.
    service_->set_dispatcher([this](std::function<void()> completions) { asio::post(io_, std::move(completions)); });

    // Another process may take the free port before we bind it: try a few.
    for (int attempt = 0; attempt < 5 && !server_; ++attempt) {
      port_ = test::free_tcp_port();
      SessionSettings settings;
      settings.server.listeners = parse_inet_spec("127.0.0.1:" + std::to_string(port_));
      settings.verbosity = 2;
      settings.store_timeout_ms = kStoreTimeoutMs;
      settings.store_error_action = action;
      server_.emplace(io_, settings);
      try {
        server_->listen();
      } catch (const ListenError&) {
        server_.reset();
      }
    }
    if (!server_) return;
    server_->start(*service_);
    io_thread_ = std::thread([this, done = std::move(io_done_)]() mutable {
      io_.run();
      done.set_value();
    });
  }

  InProcessDaemon(const InProcessDaemon&) = delete;
  InProcessDaemon& operator=(const InProcessDaemon&) = delete;
  ~InProcessDaemon() { shut_down(); }

  /// False if no port could be bound.
  [[nodiscard]] bool running() const { return io_thread_.joinable(); }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] BlockingStore& store() { return *store_; }

  /// Stops as the daemon does, in the order that lets each part drain: the store is
  /// released first (the I/O loop waits for the batch it has in flight, and stop() for
  /// the store thread), then the server, then the store thread. Idempotent.
  void shut_down() {
    store_->release();
    if (io_thread_.joinable()) {
      asio::post(io_, [this] { server_->stop(); });
      // Bounded: a session that never finishes fails the test instead of hanging it.
      if (io_finished_.wait_for(10s) != std::future_status::ready) {
        ADD_FAILURE() << "the I/O loop did not finish after Server::stop()";
        io_.stop();
      }
      io_thread_.join();
    }
    if (service_) service_->stop();
    if (previous_logger_) spdlog::set_default_logger(std::exchange(previous_logger_, nullptr));
  }

  /// Everything logged; only after shut_down(), when no other thread writes to it.
  [[nodiscard]] std::string log() const { return log_.str(); }

 private:
  std::ostringstream log_;
  std::shared_ptr<spdlog::logger> previous_logger_;
  BlockingStore* store_ = nullptr;  // owned by service_
  asio::io_context io_{1};
  std::optional<DecisionService> service_;
  std::optional<Server> server_;
  std::uint16_t port_ = 0;
  std::promise<void> io_done_;
  std::future<void> io_finished_ = io_done_.get_future();
  std::thread io_thread_;
};

/// A request's round trip, and how long it took.
struct Timed {
  std::optional<std::string> reply;
  Clock::duration took;
};

Timed ask_timed(PolicyClient& client, const std::string& request) {
  const auto sent = Clock::now();
  auto reply = client.ask(request, 5s);  // well above the timeout, below the stall bound
  return {std::move(reply), Clock::now() - sent};
}

/// The whole story for one --store-error-action: a stalled batch is answered `expected`
/// after the timeout, the warning names the action, the late write commits, and the next
/// new triplet is greylisted normally.
void expect_timeout_then_recovery(StoreErrorAction action, const std::string& expected,
                                  const std::string& warning) {
  InProcessDaemon daemon(action);
  ASSERT_TRUE(daemon.running()) << "no free port to listen on";
  auto client = PolicyClient::connect_tcp("127.0.0.1", daemon.port());
  ASSERT_TRUE(client);

  daemon.store().block();
  const auto stalled = ask_timed(*client, rcpt_request("192.0.2.7", "alice@example.net", "bob@example.org"));
  ASSERT_TRUE(stalled.reply) << "no answer while the store is stalled: " << client->error();
  EXPECT_EQ(*stalled.reply, expected);
  EXPECT_GE(stalled.took, 250ms) << "answered before the timeout: the store was not even asked?";
  EXPECT_LT(stalled.took, 3s);
  // The reply must come from the timeout, not from a store that happened to finish.
  EXPECT_TRUE(daemon.store().stalled()) << "the store's batch was not stuck when the answer came";
  EXPECT_EQ(daemon.store().triplet_count(), 0U);

  daemon.store().release();
  EXPECT_TRUE(daemon.store().wait_for_triplets(1, 5s)) << "the late decision was never committed";
  // Until the store thread, just after that commit, marks the job done, the connection's
  // next request would be answered "store busy" (its last job still out): give it time.
  std::this_thread::sleep_for(100ms);

  const auto normal = ask_timed(*client, rcpt_request("192.0.2.7", "carol@example.net", "bob@example.org"));
  // Exactly one reply: the late completion of the first batch wrote nothing to the socket.
  EXPECT_EQ(normal.reply, greylist_reply("example.org"));
  EXPECT_EQ(client->pending(), "");
  EXPECT_TRUE(daemon.store().wait_for_triplets(2, 5s));

  daemon.shut_down();
  EXPECT_NE(daemon.log().find(warning), std::string::npos) << daemon.log();
}

TEST(StoreTimeout, StalledStoreFailsOpenWithDunnoAndCommitsLater) {
  expect_timeout_then_recovery(StoreErrorAction::dunno, "action=DUNNO\n\n",
                               "store did not answer within 300 ms: answering DUNNO (fail open) meanwhile");
}

TEST(StoreTimeout, StalledStoreTempfailsWhenAskedToAndCommitsLater) {
  expect_timeout_then_recovery(StoreErrorAction::tempfail,
                               "action=451 4.3.0 Greylisting temporarily unavailable, please try again later\n\n",
                               "store did not answer within 300 ms: answering 451 (tempfail) meanwhile");
}

TEST(StoreTimeout, EveryLookupOfAPipelinedBatchGetsTheTimeoutAnswerInItsPlace) {
  // Tempfail tells the lookups' answer (451) apart from the DUNNO of a request the I/O
  // thread settles itself, so a reply in the wrong slot shows.
  InProcessDaemon daemon(StoreErrorAction::tempfail);
  ASSERT_TRUE(daemon.running()) << "no free port to listen on";
  auto client = PolicyClient::connect_tcp("127.0.0.1", daemon.port());
  ASSERT_TRUE(client);

  daemon.store().block();
  const std::string not_a_lookup =
      rcpt_request("192.0.2.7", "x@example.net", "y@example.org", {{"protocol_state", "DATA"}});
  const std::string pipelined = rcpt_request("192.0.2.7", "alice@example.net", "bob@example.org") + not_a_lookup +
                                rcpt_request("192.0.2.7", "carol@example.net", "bob@example.org");
  const auto sent = Clock::now();
  ASSERT_TRUE(client->send(pipelined));
  const auto replies = client->read_replies(3, 5s);
  const auto took = Clock::now() - sent;
  const std::string tempfail = "action=451 4.3.0 Greylisting temporarily unavailable, please try again later\n\n";
  EXPECT_EQ(replies, (std::vector<std::string>{tempfail, "action=DUNNO\n\n", tempfail}));
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 3s);
  EXPECT_TRUE(daemon.store().stalled());

  daemon.store().release();
  EXPECT_TRUE(daemon.store().wait_for_triplets(2, 5s)) << "both late RCPT decisions must commit";
  daemon.shut_down();
  EXPECT_EQ(daemon.store().triplet_count(), 2U);
}

}  // namespace
}  // namespace grayling
