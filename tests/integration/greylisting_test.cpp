// The greylisting story through the real daemon: a new triplet is deferred, an early retry
// is deferred again, a retry after the delay passes; and the state survives both a
// graceful restart and a kill -9 (every acknowledged triplet was committed first).
#include <atomic>
#include <csignal>
#include <mutex>
#include <thread>
#include <vector>

#include "acknowledged_load.hpp"
#include "daemon_fixture.hpp"

namespace grayling::test {
namespace {

using std::chrono::system_clock;

class Greylisting : public DaemonTest {};

TEST_F(Greylisting, NewTripletIsDeferredThenPassesAfterTheDelay) {
  auto daemon = start_tcp({"--delay=3"});
  auto client = connect();
  const std::string request = rcpt_request("192.0.2.7", "alice@example.net", "bob@example.org");

  align_to_second();
  const auto first = system_clock::now();
  EXPECT_EQ(client.ask(request), greylist_reply("example.org"));
  EXPECT_TRUE(daemon->wait_for_log(
      "action=greylist, reason=new, client_name=mail.example.net, client_address=192.0.2.7/32, "
      "sender=alice@example.net, recipient=bob@example.org\n"));

  sleep_until(first, 1200ms);  // one whole second later: 2 of 3 seconds still missing
  EXPECT_EQ(client.ask(request), greylist_reply("example.org"));
  EXPECT_TRUE(daemon->wait_for_log("action=greylist, reason=early-retry (2s missing), client_name=mail.example.net"));

  sleep_until(first, 3150ms);
  // The first pass carries the X-Greylist header (postgrey's PREPEND).
  EXPECT_TRUE(IsFirstPass(client.ask(request), 3));
  EXPECT_TRUE(daemon->wait_for_log(
      "action=pass, reason=triplet found, delay=3, client_name=mail.example.net, client_address=192.0.2.7/32, "
      "sender=alice@example.net, recipient=bob@example.org\n"));

  // Once passed, it stays passed: plain DUNNO, and no delay in the log.
  const std::string again = rcpt_request("192.0.2.7", "alice@example.net", "bob@example.org");  // a new message
  EXPECT_EQ(client.ask(again), kDunnoReply);
  EXPECT_TRUE(daemon->wait_for_log("action=pass, reason=triplet found, client_name=mail.example.net"));
  EXPECT_EQ(daemon->count_in_log("action=pass, reason=triplet found"), 2u);
  EXPECT_EQ(daemon->count_in_log("reason=new"), 1u);
}

TEST_F(Greylisting, EtrnDomainAttributeAddsTheStatusCode) {
  auto daemon = start_tcp();
  auto client = connect();
  // Postfix >= 2.3 always sends etrn_domain, usually empty: the text then gets "4.2.0 ".
  EXPECT_EQ(client.ask(rcpt_request("192.0.2.8", "a@example.net", "b@etrn.example", {{"etrn_domain", ""}})),
            greylist_reply("etrn.example", /*etrn=*/true));
  EXPECT_EQ(client.ask(rcpt_request("192.0.2.8", "a@example.net", "c@plain.example")), greylist_reply("plain.example"));
}

TEST_F(Greylisting, XGreylistHeaderIsAddedOncePerMessage) {
  auto daemon = start_tcp({"--delay=1"});
  auto client = connect();
  const std::vector<std::pair<std::string, std::string>> message{{"instance", "abc.123.1"}};
  const std::string to_one = rcpt_request("192.0.2.9", "s@example.net", "one@once.example", message);
  const std::string to_two = rcpt_request("192.0.2.9", "s@example.net", "two@once.example", message);
  align_to_second();
  const auto first = system_clock::now();
  ASSERT_TRUE(client.send(to_one + to_two));
  EXPECT_EQ(client.read_replies(2),
            (std::vector<std::string>{greylist_reply("once.example"), greylist_reply("once.example")}));

  // The retry of that message: both recipients pass, the header goes in once.
  sleep_until(first, 1100ms);
  ASSERT_TRUE(client.send(to_one + to_two));
  const auto replies = client.read_replies(2);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_TRUE(IsFirstPass(replies[0], 1));
  EXPECT_EQ(replies[1], kDunnoReply);
  EXPECT_EQ(daemon->count_in_log("action=pass, reason=triplet found, delay=1, "), 1u);
}

TEST_F(Greylisting, RestartOnTheSameDatabaseKeepsTriplets) {
  const std::string request = rcpt_request("198.51.100.20", "restart@example.net", "keep@example.org");
  std::chrono::system_clock::time_point first;
  {
    auto daemon = start_tcp({"--delay=2"});
    auto client = connect();
    align_to_second();
    first = system_clock::now();
    EXPECT_EQ(client.ask(request), greylist_reply("example.org"));
    daemon->send_signal(SIGTERM);
    const auto status = daemon->wait_exit(5s);
    ASSERT_TRUE(status) << "daemon still running 5 s after SIGTERM";
    EXPECT_TRUE(status->exited() && status->code() == 0) << status->describe();
    EXPECT_TRUE(daemon->wait_for_log("grayling stopped", 0ms));
  }
  auto daemon = start_tcp({"--delay=2"});
  auto client = connect();
  sleep_until(first, 2150ms);
  EXPECT_TRUE(IsFirstPass(client.ask(request), 2));
  EXPECT_TRUE(daemon->wait_for_log("action=pass, reason=triplet found, delay=2, client_name=mail.example.net"));
  EXPECT_EQ(daemon->count_in_log("reason=new"), 0u);
}

TEST_F(Greylisting, KillMinusNineLosesNoAcknowledgedTriplet) {
  auto daemon = start_tcp({"--delay=1"});
  std::vector<PolicyClient> clients;
  for (int c = 0; c < 4; ++c) clients.push_back(connect());
  std::optional<ExitStatus> status;
  // Killed while the clients are still sending: some requests are in flight.
  const auto load = run_acknowledged_load(clients, "203.0.113", "kill.example", 50, 100, [&] {
    daemon->send_signal(SIGKILL);
    status = daemon->wait_exit(5s);
  });
  const auto killed_at = system_clock::now();
  ASSERT_TRUE(status && status->signalled() && status->signal() == SIGKILL);
  EXPECT_TRUE(load.unexpected.empty()) << load.unexpected.front();
  ASSERT_GE(load.acknowledged.size(), 100u);
  RecordProperty("acknowledged_before_kill", static_cast<int>(load.acknowledged.size()));

  auto restarted = start_tcp({"--delay=1"});
  sleep_until(killed_at, 1100ms);  // every acknowledged triplet is now over its delay
  auto client = connect();
  expect_every_acknowledged_triplet_passes(client, load.acknowledged, "kill -9");
  EXPECT_TRUE(restarted->wait_for_count("action=pass, reason=triplet found, delay=", load.acknowledged.size()));
  EXPECT_EQ(restarted->count_in_log("reason=new"), 0u);
}

}  // namespace
}  // namespace grayling::test
