#include "session.hpp"

#include <spdlog/spdlog.h>

#include "grayling/decision_log.hpp"
#include "grayling/request_parser.hpp"

namespace grayling {

namespace {

constexpr std::size_t kReadChunk = 4096;  // small: thousands of idle connections each hold one

/// Awaitable bridge to the store thread. The work guard keeps the event loop alive while
/// the store decides; the completion arrives on the I/O thread through the dispatcher.
template <typename Token>
auto async_decide(DecisionService& service, DecisionService::EnginePtr engine, std::vector<TripletLookup> lookups,
                  Token&& token) {
  return asio::async_initiate<Token, void(std::vector<Decision>)>(
      [&service, engine = std::move(engine)](auto handler, std::vector<TripletLookup> pending) mutable {
        auto work = asio::make_work_guard(handler);
        // std::function needs a copyable callable; the coroutine handler is move-only.
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        // The service's dispatcher runs this on the I/O thread (see run_daemon).
        service.submit(std::move(engine), std::move(pending), [shared, work](std::vector<Decision> decisions) mutable {
          (*shared)(std::move(decisions));
          work.reset();
        });
      },
      token, std::move(lookups));
}

void log_decision(const PolicyRequest& request, const Decision& decision, int verbosity) {
  if (decision.outcome == Decision::Outcome::skip) {
    if (decision.warning) {
      spdlog::warn("{}", decision.reason);
    } else if (verbosity >= 3) {
      spdlog::debug("{}", decision.reason);
    }
    return;
  }
  if (verbosity >= 2) spdlog::info("{}", format_decision_line(request, decision));
}

}  // namespace

Session::Session(StreamSocket socket, std::string peer, SessionContext& context)
    : socket_(std::move(socket)),
      idle_timer_(socket_.get_executor()),
      deadline_(std::chrono::steady_clock::now() + std::chrono::seconds(context.settings.idle_timeout_seconds)),
      peer_(std::move(peer)),
      context_(context) {}

void Session::start(std::function<void(Session*)> on_end) {
  auto self = shared_from_this();
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
  stopping_ = true;
  if (!busy_) close();  // idle in a read: nothing in flight to finish
}

void Session::close() {
  error_code ignored;
  socket_.shutdown(asio::socket_base::shutdown_both, ignored);
  socket_.close(ignored);
  idle_timer_.cancel();
}

asio::awaitable<void> Session::serve() {
  const auto idle = std::chrono::seconds(context_.settings.idle_timeout_seconds);
  RequestParser parser(context_.settings.limits);
  std::array<char, kReadChunk> chunk;
  for (;;) {
    deadline_ = std::chrono::steady_clock::now() + idle;
    error_code ec;
    const std::size_t received = co_await socket_.async_read_some(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;  // peer closed, idle timeout, or stop: nothing left to answer

    std::vector<PolicyRequest> requests;
    std::string_view input(chunk.data(), received);
    bool broken = false;
    while (!input.empty() && !broken) {
      const auto step = parser.feed(input);
      input.remove_prefix(step.consumed);
      if (step.status == RequestParser::Status::error) {
        // Postfix's rule: on trouble, no reply; log and disconnect. Postfix will retry.
        spdlog::warn("closing connection from {}: {}", peer_, parser.error());
        broken = true;
      } else if (step.status == RequestParser::Status::complete) {
        for (const auto& line : parser.garbage()) spdlog::warn("ignoring garbage from {}: {}", peer_, line);
        requests.push_back(parser.take_request());
      }
    }
    if (!requests.empty()) {
      // Complete requests read before a broken one are still answered.
      busy_ = true;
      co_await answer(std::move(requests));
      busy_ = false;
    }
    if (broken || stopping_ || context_.settings.close_after_reply || !socket_.is_open()) co_return;
  }
}

asio::awaitable<void> Session::answer(std::vector<PolicyRequest> requests) {
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
      lookup_keys.push_back(lookup.key);
      lookups.push_back(std::move(lookup));
      lookup_slots.push_back(i);
    }
  }
  if (!lookups.empty()) {
    auto decided = co_await async_decide(context_.service, engine, std::move(lookups), asio::use_awaitable);
    for (std::size_t j = 0; j < decided.size(); ++j) {
      if (decided[j].cache_until) context_.passes.remember(lookup_keys[j], *decided[j].cache_until);
      decisions[lookup_slots[j]] = std::move(decided[j]);
    }
  }

  std::string reply;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    finish(*engine, requests[i], decisions[i]);
    log_decision(requests[i], decisions[i], context_.verbosity);
    reply.append("action=").append(decisions[i].action).append("\n\n");  // bare LF: Postfix keeps a CR
  }
  // Log before answering, without a write(2) per line: the flush runs after every session
  // of this round has logged, and this session's reply after the flush.
  context_.request_log_flush();
  co_await asio::post(socket_.get_executor(), asio::use_awaitable);
  error_code ec;
  co_await asio::async_write(socket_, asio::buffer(reply), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) close();
}

void Session::finish(const PolicyEngine& engine, const PolicyRequest& request, Decision& decision) {
  if (decision.client_whitelisted) {
    spdlog::info("whitelisted: {}[{}]", request.value("client_name"), request.value("client_address"));
  }
  if (decision.outcome == Decision::Outcome::greylist && context_.settings.no_action) {
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
  decision.action = "PREPEND " + engine.greylist_header(*decision.delay, DecisionService::system_clock());
}

asio::awaitable<void> Session::watch_idle() {
  // The timer is armed once per idle period, not per request: serve() only moves
  // deadline_, and the watchdog, when it wakes early, sleeps again until the new deadline.
  auto self = shared_from_this();
  const auto idle = std::chrono::seconds(context_.settings.idle_timeout_seconds);
  while (socket_.is_open()) {
    idle_timer_.expires_at(deadline_);
    error_code ec;
    co_await idle_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!socket_.is_open()) break;
    const auto now = std::chrono::steady_clock::now();
    if (busy_) {
      deadline_ = now + idle;  // answering is not idling
    } else if (now >= deadline_) {
      if (context_.verbosity >= 3) spdlog::debug("closing idle connection from {}", peer_);
      close();
    }
  }
}

}  // namespace grayling
