#include "session.hpp"

#include <spdlog/spdlog.h>

#include "grayling/core/decision_log.hpp"
#include "grayling/core/request_parser.hpp"
#include "log_format.hpp"

namespace grayling {

namespace {

constexpr std::size_t kReadChunk = 4096;  // small: thousands of idle connections each hold one

using Decisions = std::optional<std::vector<Decision>>;

/// Awaitable bridge to the store thread: the decisions, or nullopt when they have not
/// come back by `deadline` (the store thread still finishes and commits them). Both the
/// completion (through the service's dispatcher) and the deadline run on the I/O thread,
/// so whichever comes first answers and the other finds the answer given. `out` is true
/// until the store is done with the job, answered in time or not (see submit()).
template <typename Token>
auto async_decide_by(DecisionService& service, DecisionDeadlines& deadlines, DecisionService::EnginePtr engine,
                     std::vector<TripletLookup> lookups, DecisionDeadlines::TimePoint deadline,
                     std::shared_ptr<std::atomic<bool>> out, Token&& token) {
  return asio::async_initiate<Token, void(Decisions)>(
      [&service, &deadlines, engine = std::move(engine), deadline, out = std::move(out)](
          auto handler, std::vector<TripletLookup> pending) mutable {
        using Handler = decltype(handler);
        using Work = decltype(asio::make_work_guard(asio::get_associated_executor(handler)));
        struct Waiting {
          Waiting(Handler h, Work w) : resume(std::move(h)), work(std::move(w)) {}
          Handler resume;
          // The event loop waits for the answer, not for the store: once a request is
          // answered by its deadline, a stop need not wait for a store that hangs.
          Work work;
          DecisionDeadlines::Entry entry;
          bool answered = false;
          void answer(Decisions decisions) {
            answered = true;
            work.reset();
            resume(std::move(decisions));
          }
        };
        auto work = asio::make_work_guard(asio::get_associated_executor(handler));
        auto state = std::make_shared<Waiting>(std::move(handler), std::move(work));
        state->entry = deadlines.add(deadline, [state] { state->answer(std::nullopt); });
        const bool queued = service.submit(
            std::move(engine), std::move(pending),
            [state, &deadlines](std::vector<Decision> decisions) mutable {
              if (state->answered) return;
              deadlines.cancel(state->entry);
              state->answer(std::move(decisions));
            },
            std::move(out));
        if (!queued) {
          // The queue is full (a stalled store): answered as by the deadline, but now,
          // and after this initiation has returned.
          deadlines.cancel(state->entry);
          asio::post(state->work.get_executor(), [state] { state->answer(std::nullopt); });
        }
      },
      token, std::move(lookups));
}

using Domains = std::vector<std::optional<std::string>>;

/// Awaitable bridge to the SPF checks of several requests at once: their authorised
/// domains, in order, once every check has answered or `budget` has passed, whichever
/// comes first (a check still out then counts as no domain: the request keys by network;
/// the check goes on and warms the resolver's cache for the sender's retry).
template <typename Token>
auto async_authorised_domains(dns::SenderAuthority& authority, const std::vector<PolicyRequest>& requests,
                              const std::vector<std::size_t>& slots, std::chrono::milliseconds budget,
                              Token&& token) {
  return asio::async_initiate<Token, void(Domains)>(
      [&authority, &requests, &slots, budget](auto handler) {
        using Handler = decltype(handler);
        struct Waiting {
          Waiting(Handler h, std::size_t n, asio::any_io_executor executor)
              : resume(std::move(h)), domains(n), left(n), timer(std::move(executor)) {}
          Handler resume;
          Domains domains;
          std::size_t left;
          asio::steady_timer timer;
          bool resumed = false;
          void finish() {
            if (resumed) return;
            resumed = true;
            timer.cancel();
            resume(std::move(domains));
          }
        };
        auto executor = asio::get_associated_executor(handler);
        auto state = std::make_shared<Waiting>(std::move(handler), slots.size(), executor);
        for (std::size_t j = 0; j < slots.size(); ++j) {
          const PolicyRequest& request = requests[slots[j]];
          const bool asked = authority.authorised_domain(
              *IpAddress::parse(request.value("client_address")), request.value("sender"), request.value("helo_name"),
              [state, j](std::optional<std::string> domain) {
                if (state->resumed) return;
                state->domains[j] = std::move(domain);
                if (--state->left == 0) state->finish();
              });
          if (!asked) --state->left;  // DNS not worth asking now: by network
        }
        if (state->left == 0) {
          asio::post(executor, [state] { state->finish(); });
          return;
        }
        state->timer.expires_after(budget);
        state->timer.async_wait([state](const error_code& ec) {
          if (!ec) state->finish();
        });
      },
      token);
}

/// The labels of grayling_decisions_total for a decision.
void count_decision(metrics::Shard& shard, const Decision& decision) {
  using metrics::Action;
  using metrics::Reason;
  if (decision.store_failure) {
    shard.decision(decision.outcome == Decision::Outcome::pass ? Action::pass : Action::greylist, Reason::store_error);
    return;
  }
  switch (decision.outcome) {
    case Decision::Outcome::skip:
      shard.decision(Action::skip, Reason::skipped);
      return;
    case Decision::Outcome::greylist:
      shard.decision(Action::greylist, decision.reason == "new" ? Reason::new_triplet : Reason::early_retry);
      return;
    case Decision::Outcome::pass:
      break;
  }
  const std::string_view reason = decision.reason;
  const Reason label = reason == "client whitelist"      ? Reason::client_whitelist
                       : reason == "recipient whitelist" ? Reason::recipient_whitelist
                       : reason == "client AWL"          ? Reason::client_awl
                                                         : Reason::triplet_found;
  shard.decision(metrics::Action::pass, label);
}

void log_decision(const PolicyRequest& request, const Decision& decision, int verbosity, bool json) {
  if (decision.outcome == Decision::Outcome::skip) {
    if (decision.warning) {
      spdlog::warn("{}", decision.reason);
    } else if (verbosity >= 3) {
      spdlog::debug("{}", decision.reason);
    }
    return;
  }
  if (verbosity < 2) return;
  if (json) {
    spdlog::info("{}{}", kJsonFieldsMarker, format_decision_json(request, decision));
  } else {
    spdlog::info("{}", format_decision_line(request, decision));
  }
}

}  // namespace

Session::Session(StreamSocket socket, std::string peer, std::optional<IpAddress> address, SessionContext& context)
    : socket_(std::move(socket)),
      idle_timer_(socket_.get_executor()),
      last_activity_(std::chrono::steady_clock::now()),
      peer_(std::move(peer)),
      address_(address),
      context_(context) {}

void Session::start(std::function<void(Session*)> on_end) {
  auto self = shared_from_this();
  error_code ignored;
  socket_.non_blocking(true, ignored);  // write() tries the answer at once
  auto executor = socket_.get_executor();
  asio::co_spawn(executor, serve(), [self, on_end = std::move(on_end)](std::exception_ptr failure) {
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        spdlog::error("connection from {} failed: {}", self->peer_, e.what());
      }
    }
    self->close();
    on_end(self.get());
  });
  asio::co_spawn(executor, watch_idle(), [self](std::exception_ptr) {});
}

void Session::stop() {
  if (stopping_) return;
  stopping_ = true;
  stop_limit_ = std::chrono::steady_clock::now() + kStopLimit;
  idle_timer_.cancel();  // the watchdog now watches the limit too
  if (busy_) return;  // answering: serve() ends after the answer
  // Idle in a read. A request already sent is answered, not dropped: the read in progress
  // completes with it and serve() ends after the answer. So is one about to be sent on a
  // connection that has sent nothing yet: Postfix connects when it has a request to send.
  // (A dropped request costs Postfix a second's sleep and a reconnect before its retry.)
  error_code ec;
  if (socket_.available(ec) > 0 && !ec) return;
  if (!received_) {
    stop_deadline_ = std::chrono::steady_clock::now() + kFreshConnectionGrace;  // the watchdog closes it then
    return;
  }
  close();
}

void Session::close() {
  error_code ignored;
  socket_.shutdown(asio::socket_base::shutdown_both, ignored);
  socket_.close(ignored);
  idle_timer_.cancel();
}

asio::awaitable<void> Session::serve() {
  RequestParser parser(context_.settings->server.limits);
  std::array<char, kReadChunk> chunk;
  for (;;) {
    last_activity_ = std::chrono::steady_clock::now();
    error_code ec;
    const std::size_t received = co_await socket_.async_read_some(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;  // peer closed, idle timeout, or stop: nothing left to answer
    received_ = true;

    // Settings in force from here to this read's answers; a reload swaps the pointer only.
    const std::shared_ptr<const SessionSettings> settings = context_.settings;
    if (parser.between_requests()) parser.set_limits(settings->server.limits);
    std::vector<PolicyRequest> requests;
    std::string_view input(chunk.data(), received);
    bool broken = false;
    while (!input.empty() && !broken) {
      const auto step = parser.feed(input);
      input.remove_prefix(step.consumed);
      if (step.status == RequestParser::Status::error) {
        // Postfix's rule: on trouble, no reply; log and disconnect. Postfix will retry.
        spdlog::warn("closing connection from {}: {}", peer_, parser.error());
        if (context_.metrics) context_.metrics->io.closed_protocol_violation.add();
        broken = true;
      } else if (step.status == RequestParser::Status::complete) {
        for (const auto& line : parser.garbage()) spdlog::warn("ignoring garbage from {}: {}", peer_, line);
        requests.push_back(parser.take_request());
        parser.set_limits(settings->server.limits);
      }
    }
    if (!requests.empty()) {
      // Complete requests read before a broken one are still answered.
      busy_ = true;
      const auto complete = std::chrono::steady_clock::now();
      const std::size_t answered = requests.size();
      co_await answer(std::move(requests), *settings);
      if (context_.metrics) {
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - complete).count();
        for (std::size_t i = 0; i < answered; ++i) context_.metrics->io.request_duration.observe(seconds);
      }
      busy_ = false;
    }
    if (broken || stopping_ || settings->server.close_after_reply || !socket_.is_open()) co_return;
  }
}

asio::awaitable<void> Session::answer(std::vector<PolicyRequest> requests, const SessionSettings& settings) {
  // Pipelined requests are decided together and answered in the order they came.
  const auto engine = context_.service.engine();  // one engine for the whole batch
  const EpochSeconds now = DecisionService::system_clock();
  std::vector<Decision> decisions(requests.size());
  std::vector<TripletLookup> lookups;
  std::vector<std::string> lookup_keys;
  std::vector<std::size_t> lookup_slots;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    auto screened = engine->screen(requests[i]);
    if (auto* decided = std::get_if<Decision>(&screened)) {
      decisions[i] = std::move(*decided);
    } else if (auto& lookup = std::get<TripletLookup>(screened); context_.passes.passes(lookup.key, now)) {
      decisions[i] = Decision::pass_because("triplet found");
    } else {
      lookups.push_back(std::move(lookup));
      lookup_slots.push_back(i);
    }
  }
  if (!lookups.empty() && context_.spf) co_await apply_spf(*engine, requests, lookups, lookup_slots, decisions, now);
  lookup_keys.clear();
  for (const auto& lookup : lookups) lookup_keys.push_back(lookup.key);
  if (!lookups.empty()) {
    std::optional<std::vector<Decision>> decided;
    if (store_job_out_->load(std::memory_order_acquire)) {
      // The store still has this connection's last lookups, past their deadline: it is
      // stalled. Answer now rather than queue behind them, so that the queue holds at
      // most one job per connection however long the store hangs.
      context_.report_store_timeout();
      if (context_.metrics) context_.metrics->io.store_busy.add(lookup_slots.size());
      decided.emplace(lookup_slots.size(), Decision::store_unavailable(settings.store_error_action, "store busy"));
    } else {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(settings.store_timeout_ms);
      decided = co_await async_decide_by(context_.service, context_.deadlines, engine, std::move(lookups), deadline,
                                         store_job_out_, asio::use_awaitable);
      if (!decided) {
        context_.report_store_timeout();
        if (context_.metrics) context_.metrics->io.store_timeouts.add(lookup_slots.size());
        decided.emplace(lookup_slots.size(), Decision::store_unavailable(settings.store_error_action, "store timeout"));
      }
    }
    for (std::size_t j = 0; j < decided->size(); ++j) {
      if ((*decided)[j].cache_until) context_.passes.remember(lookup_keys[j], *(*decided)[j].cache_until);
      decisions[lookup_slots[j]] = std::move((*decided)[j]);
    }
  }

  std::string reply;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (context_.metrics) {
      count_decision(context_.metrics->io, decisions[i]);
      if (decisions[i].delay) context_.metrics->io.greylist_delay.observe(static_cast<double>(*decisions[i].delay));
    }
    finish(*engine, requests[i], decisions[i], settings);
    log_decision(requests[i], decisions[i], settings.verbosity, settings.json_log);
    reply.append("action=").append(decisions[i].action).append("\n\n");  // bare LF: Postfix keeps a CR
  }
  // Log before answering, without a write(2) per line: the flush runs after every session
  // of this round has logged, and this session's reply after the flush.
  context_.request_log_flush();
  co_await asio::post(socket_.get_executor(), asio::use_awaitable);
  co_await write(reply);
}

asio::awaitable<void> Session::write(const std::string& reply) {
  if (!socket_.is_open()) co_return;  // closed meanwhile (a stop's limit): nobody to answer
  error_code ec;
  const std::size_t written = socket_.write_some(asio::buffer(reply), ec);  // non-blocking
  if (ec == asio::error::would_block || ec == asio::error::try_again) ec.clear();
  if (!ec && written < reply.size()) {
    // The client is not reading (or not yet): from now on the watchdog holds the write
    // to a deadline, or this connection and, at a stop, the daemon would wait for ever.
    write_started_ = std::chrono::steady_clock::now();
    idle_timer_.cancel();
    co_await asio::async_write(socket_, asio::buffer(reply.data() + written, reply.size() - written),
                               asio::redirect_error(asio::use_awaitable, ec));
    write_started_.reset();
  }
  if (ec) close();
}

std::chrono::steady_clock::duration Session::write_timeout() const {
  return std::min<std::chrono::steady_clock::duration>(
      kWriteTimeout, std::chrono::seconds(context_.settings->server.idle_timeout_seconds));
}

asio::awaitable<void> Session::apply_spf(const PolicyEngine& engine, const std::vector<PolicyRequest>& requests,
                                         std::vector<TripletLookup>& lookups, std::vector<std::size_t>& slots,
                                         std::vector<Decision>& decisions, EpochSeconds now) {
  // Only requests that need the store pay for DNS: whitelisted ones and cached passes
  // were answered before this.
  const Domains domains =
      co_await async_authorised_domains(*context_.spf, requests, slots, context_.spf_budget, asio::use_awaitable);
  std::vector<TripletLookup> kept;
  std::vector<std::size_t> kept_slots;
  for (std::size_t j = 0; j < lookups.size(); ++j) {
    if (domains[j]) {
      const PolicyRequest& request = requests[slots[j]];
      TripletLookup authorised = engine.lookup_authorised(*IpAddress::parse(request.value("client_address")),
                                                          *domains[j], request.value("sender"), request.value("recipient"));
      authorised.has_etrn_domain = lookups[j].has_etrn_domain;
      if (context_.passes.passes(authorised.key, now)) {
        decisions[slots[j]] = Decision::pass_because("triplet found");
        continue;
      }
      lookups[j] = std::move(authorised);
    }
    kept.push_back(std::move(lookups[j]));
    kept_slots.push_back(slots[j]);
  }
  lookups = std::move(kept);
  slots = std::move(kept_slots);
}

void Session::finish(const PolicyEngine& engine, const PolicyRequest& request, Decision& decision,
                     const SessionSettings& settings) {
  if (decision.client_whitelisted) {
    spdlog::info("whitelisted: {}[{}]", request.value("client_name"), logged_client_address(request.value("client_address")));
  }
  if (decision.outcome == Decision::Outcome::greylist && settings.server.no_action) {
    decision.action = "DUNNO";  // training mode: the log says what would have happened
  }
  if (!decision.delay) return;
  // X-Greylist once per message: recipients of one message share its instance, and a
  // connection carries one message at a time. No instance (Exim) means a new message.
  const auto instance = request.get("instance");
  if (instance && !instance->empty() && *instance == header_instance_) {
    decision.delay.reset();  // as postgrey: delay= is logged with the header only
    return;
  }
  header_instance_ = instance ? std::string(*instance) : std::string();
  decision.action = engine.first_pass_action(*decision.delay, DecisionService::system_clock());
}

asio::awaitable<void> Session::watch_idle() {
  // The timer is armed once per idle period, not per request: serve() only notes the time
  // of the last activity, and the watchdog, when it wakes early (or a reload changed the
  // timeout, a write began to wait, or a stop came, and woke it), sleeps again until the
  // deadline that holds now.
  using std::chrono::steady_clock;
  auto self = shared_from_this();
  while (socket_.is_open()) {
    steady_clock::time_point deadline = last_activity_ + std::chrono::seconds(context_.settings->server.idle_timeout_seconds);
    if (write_started_) deadline = std::min(deadline, *write_started_ + write_timeout());
    if (stop_deadline_) deadline = std::min(deadline, *stop_deadline_);
    if (stop_limit_) deadline = std::min(deadline, *stop_limit_);
    idle_timer_.expires_at(deadline);
    error_code ec;
    co_await idle_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!socket_.is_open()) break;
    const auto now = steady_clock::now();
    if (write_started_ && now >= *write_started_ + write_timeout()) {
      spdlog::warn("closing connection from {}: its answer has not been read for {} s", peer_,
                   std::chrono::duration_cast<std::chrono::seconds>(now - *write_started_).count());
      if (context_.metrics) context_.metrics->io.closed_unread_answer.add();
      close();
    } else if (stop_limit_ && now >= *stop_limit_) {
      if (busy_) {
        spdlog::warn("closing connection from {}: stopping, and its answer could not be given within {} ms", peer_,
                     kStopLimit.count());
      }
      close();
    } else if (stop_deadline_ && now >= *stop_deadline_) {
      stop_deadline_.reset();
      if (!busy_) close();  // stopping, and no request came; if one did, serve() ends after its answer
    } else if (busy_) {
      last_activity_ = now;  // answering is not idling
    } else if (now >= last_activity_ + std::chrono::seconds(context_.settings->server.idle_timeout_seconds)) {
      if (context_.settings->verbosity >= 3) spdlog::debug("closing idle connection from {}", peer_);
      close();
    }
  }
}

}  // namespace grayling
