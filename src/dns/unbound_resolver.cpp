#include "grayling/dns/unbound_resolver.hpp"

#include <fmt/format.h>
#include <unbound.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <stdexcept>
#include <unordered_map>
// Boost 1.74's coroutine support needs <utility> first with GCC 12.
#include <utility>

#include <boost/asio.hpp>

#include "grayling/core/ip_address.hpp"
#include "grayling/dns/rdata.hpp"

namespace grayling::dns {

namespace asio = boost::asio;

std::string unbound_forwarder(const std::string& server) {
  std::string address = server;
  std::string port;
  if (server.starts_with('[')) {  // [IPv6]:PORT
    const std::size_t close = server.find(']');
    if (close == std::string::npos) throw std::invalid_argument(fmt::format("--dns-server {}: no ']'", server));
    address = server.substr(1, close - 1);
    if (close + 1 < server.size()) {
      if (server[close + 1] != ':') throw std::invalid_argument(fmt::format("--dns-server {}: ':PORT' after ']'", server));
      port = server.substr(close + 2);
    }
  } else if (std::count(server.begin(), server.end(), ':') == 1) {  // IPv4:PORT
    address = server.substr(0, server.find(':'));
    port = server.substr(server.find(':') + 1);
  }
  if (!IpAddress::parse(address)) {
    throw std::invalid_argument(fmt::format("--dns-server {}: not an IP address (IP, IP:PORT or [IPv6]:PORT)", server));
  }
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) < 1 ||
        std::stoi(port) > 65535) {
      throw std::invalid_argument(fmt::format("--dns-server {}: bad port", server));
    }
    return address + "@" + port;
  }
  return address;
}

namespace {

/// libunbound's context, the pipe its thread answers through, and the questions out.
class UnboundResolver final : public Resolver {
 public:
  UnboundResolver(asio::io_context& io, const ResolverSettings& settings)
      : io_(io), settings_(settings), context_(ub_ctx_create()), pipe_(io) {
    if (!context_) throw std::runtime_error("libunbound: cannot create a resolver context");
    // A thread, not a forked process: the daemon's sandbox has one process.
    check(ub_ctx_async(context_, 1), "async mode");
    const std::string cache = std::to_string(settings.cache_bytes);
    check(ub_ctx_set_option(context_, "msg-cache-size:", cache.c_str()), "msg-cache-size");
    check(ub_ctx_set_option(context_, "rrset-cache-size:", cache.c_str()), "rrset-cache-size");
    if (settings.servers.empty()) {
      check(ub_ctx_resolvconf(context_, nullptr), "reading /etc/resolv.conf");
    } else {
      for (const auto& server : settings.servers) {
        check(ub_ctx_set_fwd(context_, unbound_forwarder(server).c_str()), "forwarder " + server);
      }
    }
    const int fd = ::dup(ub_fd(context_));
    if (fd < 0) throw std::runtime_error("libunbound: no result pipe");
    pipe_.assign(fd);
    watch();
  }

  ~UnboundResolver() override {
    closing_ = true;
    error_code_type ignored;
    pipe_.close(ignored);
    for (auto& [id, pending] : pending_) ub_cancel(context_, id);
    pending_.clear();
    ub_ctx_delete(context_);
  }

  void stop() override {
    if (closing_) return;
    closing_ = true;
    error_code_type ignored;
    pipe_.close(ignored);
    for (auto& [id, pending] : pending_) {
      if (!pending->answered) {
        ub_cancel(context_, id);
        pending->timer.cancel();
        asio::post(io_, [done = std::move(pending->done)] { done(Answer{Answer::Status::error, {}}); });
      }
    }
    pending_.clear();
    for (auto& queued : queued_) {
      asio::post(io_, [done = std::move(queued.done)] { done(Answer{Answer::Status::error, {}}); });
    }
    queued_.clear();
  }

  [[nodiscard]] bool busy() const override { return pending_.size() >= settings_.max_in_flight; }

  void resolve(const std::string& name, RecordType type, Callback done) override {
    if (closing_) {
      asio::post(io_, [done = std::move(done)] { done(Answer{Answer::Status::error, {}}); });
      return;
    }
    if (pending_.size() >= settings_.max_in_flight) {
      if (queued_.size() >= settings_.max_queued) {
        asio::post(io_, [done = std::move(done)] { done(Answer{Answer::Status::error, {}}); });
        return;
      }
      queued_.push_back({name, type, std::move(done)});
      return;
    }
    start(name, type, std::move(done));
  }

 private:
  using error_code_type = boost::system::error_code;

  // Lives until libunbound is done with it: its callback runs, or a cancel succeeded.
  struct Pending {
    UnboundResolver* self;
    int id = 0;
    RecordType type;
    Callback done;
    asio::steady_timer timer;
    bool answered = false;  // timed out while its result was already on the way
  };
  struct Queued {
    std::string name;
    RecordType type;
    Callback done;
  };

  void check(int result, const std::string& what) const {
    if (result != 0) throw std::runtime_error(fmt::format("libunbound: {}: {}", what, ub_strerror(result)));
  }

  void start(const std::string& name, RecordType type, Callback done) {
    auto pending = std::make_unique<Pending>(Pending{this, 0, type, std::move(done), asio::steady_timer(io_)});
    Pending* raw = pending.get();
    int id = 0;
    const int result =
        ub_resolve_async(context_, name.c_str(), static_cast<int>(type), 1 /* IN */, raw, &UnboundResolver::on_result, &id);
    if (result != 0) {
      asio::post(io_, [done = std::move(raw->done)] { done(Answer{Answer::Status::error, {}}); });
      return;
    }
    // In pending_ before anything can answer it: results arrive through ub_process only.
    raw->id = id;
    raw->timer.expires_after(settings_.timeout);
    raw->timer.async_wait([this, id](const error_code_type& ec) {
      if (ec) return;  // answered first
      auto found = pending_.find(id);
      if (found == pending_.end() || found->second->answered) return;
      auto done = std::move(found->second->done);
      if (ub_cancel(context_, id) == 0) {
        pending_.erase(found);  // its callback will not run
      } else {
        found->second->answered = true;  // the result is in the pipe: let it arrive, unheard
      }
      done(Answer{Answer::Status::timeout, {}});
      start_queued();
    });
    pending_.emplace(id, std::move(pending));
  }

  void start_queued() {
    while (!queued_.empty() && pending_.size() < settings_.max_in_flight) {
      Queued next = std::move(queued_.front());
      queued_.pop_front();
      start(next.name, next.type, std::move(next.done));
    }
  }

  /// Waits for libunbound's thread to write to the pipe, then lets it deliver.
  void watch() {
    pipe_.async_wait(asio::posix::stream_descriptor::wait_read, [this](const error_code_type& ec) {
      if (ec || closing_) return;
      ub_process(context_);  // runs on_result for every finished question
      start_queued();
      watch();
    });
  }

  static void on_result(void* data, int error, ub_result* result) {
    auto* pending = static_cast<Pending*>(data);
    UnboundResolver* self = pending->self;
    Answer answer = to_answer(error, result, pending->type);
    if (result) ub_resolve_free(result);
    auto found = self->pending_.find(pending->id);
    if (found == self->pending_.end()) return;
    std::unique_ptr<Pending> owned = std::move(found->second);
    self->pending_.erase(found);
    owned->timer.cancel();
    if (!owned->answered) owned->done(std::move(answer));
  }

  static Answer to_answer(int error, const ub_result* result, RecordType type) {
    if (error != 0 || !result) return Answer{Answer::Status::error, {}};
    if (result->nxdomain) return Answer{Answer::Status::nxdomain, {}};
    if (result->rcode != 0) return Answer{Answer::Status::error, {}};  // SERVFAIL, REFUSED, ...
    Answer answer{Answer::Status::ok, {}};
    for (int i = 0; result->havedata && result->data[i]; ++i) {
      auto text = rdata_text(type, std::string_view(result->data[i], static_cast<std::size_t>(result->len[i])));
      if (!text) return Answer{Answer::Status::error, {}};
      answer.records.push_back(std::move(*text));
    }
    return answer;
  }

  asio::io_context& io_;
  ResolverSettings settings_;
  ub_ctx* context_;
  asio::posix::stream_descriptor pipe_;
  std::unordered_map<int, std::unique_ptr<Pending>> pending_;
  std::deque<Queued> queued_;
  bool closing_ = false;
};

}  // namespace

std::unique_ptr<Resolver> make_unbound_resolver(asio::io_context& io, const ResolverSettings& settings) {
  return std::make_unique<UnboundResolver>(io, settings);
}

}  // namespace grayling::dns
