#include "acknowledged_load.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "daemon_fixture.hpp"

namespace grayling::test {

AcknowledgedLoad run_acknowledged_load(std::vector<PolicyClient>& clients, const std::string& network,
                                       const std::string& domain, int max_per_client, int interrupt_after,
                                       const std::function<void()>& interrupt) {
  AcknowledgedLoad load;
  std::mutex mutex;
  std::atomic<int> acks{0};
  const std::string greylisted = greylist_reply(domain);
  std::vector<std::thread> workers;
  for (std::size_t c = 0; c < clients.size(); ++c) {
    workers.emplace_back([&, c] {
      for (int i = 0; i < max_per_client; ++i) {
        const std::string request =
            rcpt_request(network + "." + std::to_string(c + 1), "sender" + std::to_string(i) + "@example.net",
                         "rcpt" + std::to_string(c) + "-" + std::to_string(i) + "@" + domain);
        const auto reply = clients[c].ask(request, 5s);
        std::lock_guard lock(mutex);
        if (!reply) {  // the daemon is gone: a closed connection, never a hang
          load.endings.push_back(clients[c].error());
          return;
        }
        if (*reply == greylisted) {
          load.acknowledged.push_back(request);
          ++acks;
        } else {
          load.unexpected.push_back(*reply);
        }
      }
      std::lock_guard lock(mutex);
      load.endings.push_back("ran out of requests before the interruption took effect");
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (acks.load() < interrupt_after && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  load.acks_at_interrupt = acks.load();
  interrupt();
  for (auto& worker : workers) worker.join();
  return load;
}

void expect_every_acknowledged_triplet_passes(PolicyClient& client, const std::vector<std::string>& acknowledged,
                                              const std::string& cause) {
  std::string pipelined;
  for (const auto& request : acknowledged) pipelined += request;
  ASSERT_TRUE(client.send(pipelined, 10s)) << client.error();
  const auto replies = client.read_replies(acknowledged.size(), 10s);
  ASSERT_EQ(replies.size(), acknowledged.size()) << client.error();
  std::size_t lost = 0;
  for (std::size_t i = 0; i < replies.size() && lost <= 5; ++i) {
    if (!IsFirstPass(replies[i])) {  // each request is its own message: each gets the header
      ++lost;
      ADD_FAILURE() << "acknowledged triplet lost by " << cause << ": " << acknowledged[i] << "reply: " << replies[i];
    }
  }
}

}  // namespace grayling::test
