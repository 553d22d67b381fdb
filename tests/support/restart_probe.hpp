#pragma once
/// Postfix's side of a daemon restart: a thread that sends policy requests in a loop, each
/// on a new connection (as smtpd processes reconnect after the daemon closed theirs), and
/// records what every attempt met: refused, answered, and how long the answer took.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace grayling::test {

struct RestartProbeResult {
  std::size_t requests = 0;  // requests sent (each a new triplet)
  std::size_t answered = 0;
  std::size_t refused = 0;     // connect() refused: nobody listening
  std::chrono::milliseconds refusing{0};  // how long connections were refused, in all
  std::size_t retried = 0;     // closed without an answer, then sent again on a new connection (Postfix does once)
  std::size_t unanswered = 0;  // no answer even after that
  std::chrono::milliseconds longest{0};  // the longest from connect() to the answer
  std::vector<std::string> recipients;   // of the answered requests, in order
  std::string first_failure;             // what the first refused or unanswered attempt met

  /// "N requests: N answered, N refused, N retried, longest wait N ms", for logs and the README.
  [[nodiscard]] std::string summary() const;
};

class RestartProbe {
 public:
  /// Sends to 127.0.0.1-style `host` and `port`; each answer is awaited at most `timeout`.
  /// Recipients are r<N>@`domain`.
  RestartProbe(std::string host, std::uint16_t port, std::string domain = "restart.example",
               std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~RestartProbe();
  RestartProbe(const RestartProbe&) = delete;
  RestartProbe& operator=(const RestartProbe&) = delete;

  void start();
  /// Stops after the request in progress and returns what happened.
  RestartProbeResult stop();
  /// Answers so far (to wait for traffic to flow).
  [[nodiscard]] std::size_t answered() const { return answered_.load(); }

 private:
  void run();

  std::string host_;
  std::uint16_t port_;
  std::string domain_;
  std::chrono::milliseconds timeout_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> answered_{0};
  RestartProbeResult result_;
  std::thread thread_;
};

}  // namespace grayling::test
