#include "support/restart_probe.hpp"

#include <algorithm>
#include <optional>

#include "support/policy_client.hpp"

namespace grayling::test {

std::string RestartProbeResult::summary() const {
  return std::to_string(requests) + " requests: " + std::to_string(answered) + " answered, " +
         std::to_string(refused) + " refused (over " + std::to_string(refusing.count()) + " ms), " + std::to_string(retried) + " retried, " +
         std::to_string(unanswered) + " unanswered, longest wait " + std::to_string(longest.count()) + " ms";
}

RestartProbe::RestartProbe(std::string host, std::uint16_t port, std::string domain, std::chrono::milliseconds timeout)
    : host_(std::move(host)), port_(port), domain_(std::move(domain)), timeout_(timeout) {}

RestartProbe::~RestartProbe() {
  if (thread_.joinable()) stop();
}

void RestartProbe::start() { thread_ = std::thread([this] { run(); }); }

RestartProbeResult RestartProbe::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  return result_;
}

void RestartProbe::run() {
  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> last_refusal;  // of the refusal just before, if the last attempt was one
  while (!stopping_) {
    const std::string recipient = "r" + std::to_string(result_.requests) + "@" + domain_;
    const std::string request = rcpt_request("192.0.2.44", "sender@probe.example", recipient);
    ++result_.requests;
    const auto began = Clock::now();
    std::optional<std::string> reply;
    bool refused = false;
    // Postfix sends a request again, once, on a new connection when the first one broke.
    for (int attempt = 0; attempt < 2 && !reply && !refused; ++attempt) {
      std::string error;
      auto client = PolicyClient::connect_tcp(host_, port_, timeout_, &error);
      if (!client) {
        refused = true;  // Postfix answers 451 for this message: counted, not retried
        if (result_.first_failure.empty()) result_.first_failure = "connect: " + error;
        break;
      }
      reply = client->ask(request, timeout_);
      if (!reply) {
        if (result_.first_failure.empty()) result_.first_failure = "no answer: " + client->error();
        if (attempt == 0) ++result_.retried;
      }
    }
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - began);
    result_.longest = std::max(result_.longest, waited);
    if (!refused) last_refusal.reset();
    if (reply) {
      ++result_.answered;
      ++answered_;
      result_.recipients.push_back(recipient);
    } else if (refused) {
      ++result_.refused;
      // Refused for as long as consecutive attempts were: summed over every such stretch.
      if (last_refusal) result_.refusing += std::chrono::duration_cast<std::chrono::milliseconds>(began - *last_refusal);
      last_refusal = began;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a steady stream, not a busy loop
    } else {
      ++result_.unanswered;
    }
  }
}

}  // namespace grayling::test
