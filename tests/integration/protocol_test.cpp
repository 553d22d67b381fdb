// The policy delegation protocol on the wire: pipelined requests answered in order (in one
// write and split across many), LF and CRLF line ends, and bad requests that are answered
// DUNNO without hurting the connection or the daemon.
#include <thread>

#include "daemon_fixture.hpp"

namespace grayling::test {
namespace {

using std::chrono::system_clock;

class Protocol : public DaemonTest {};

/// A short RCPT request (what matters to the daemon, nothing more).
std::string short_rcpt(const std::string& client, const std::string& recipient, std::string_view eol = "\n") {
  return policy_request({{"request", "smtpd_access_policy"},
                         {"protocol_state", "RCPT"},
                         {"client_address", client},
                         {"client_name", "unknown"},
                         {"sender", "s@example.net"},
                         {"recipient", recipient}},
                        eol);
}

/// The same triplet in the DATA state: not greylisted.
std::string data_state(const std::string& client, const std::string& recipient) {
  return policy_request({{"request", "smtpd_access_policy"},
                         {"protocol_state", "DATA"},
                         {"client_address", client},
                         {"sender", "s@example.net"},
                         {"recipient", recipient}});
}

TEST_F(Protocol, PipelinedRequestsInOneWriteAreAnsweredInOrder) {
  auto daemon = start_tcp({"--delay=1"});
  auto client = connect();
  // A triplet that will have passed by the time of the pipelined batch.
  align_to_second();  // the delay in the X-Greylist header is then exactly 1
  const auto first = system_clock::now();
  ASSERT_EQ(client.ask(short_rcpt("192.0.2.50", "old@passed.example")), greylist_reply("passed.example"));
  sleep_until(first, 1100ms);

  std::string batch;
  batch += short_rcpt("192.0.2.51", "x@one.example");                   // new: greylist
  batch += data_state("192.0.2.51", "x@one.example");                   // DATA state: DUNNO
  batch += short_rcpt("192.0.2.50", "old@passed.example");              // passed: DUNNO
  batch += rcpt_request("192.0.2.52", "s@example.net", "y@two.example", {{"etrn_domain", ""}});  // 4.2.0
  batch += policy_request({{"request", "junk"}, {"recipient", "z@three.example"}});  // unknown: DUNNO
  batch += short_rcpt("192.0.2.53", "w@four.example");                  // new: greylist
  ASSERT_TRUE(client.send(batch));
  const auto replies = client.read_replies(6);
  ASSERT_EQ(replies.size(), 6u) << client.error();
  EXPECT_EQ(replies[0], greylist_reply("one.example"));
  EXPECT_EQ(replies[1], kDunnoReply);
  EXPECT_TRUE(IsFirstPass(replies[2], 1));
  EXPECT_EQ(replies[3], greylist_reply("two.example", true));
  EXPECT_EQ(replies[4], kDunnoReply);
  EXPECT_EQ(replies[5], greylist_reply("four.example"));
  EXPECT_TRUE(client.pending().empty()) << "unexpected extra bytes: " << client.pending();
  EXPECT_TRUE(daemon->wait_for_log("action=pass, reason=triplet found, delay="));
  // The connection is still good for more.
  EXPECT_EQ(client.ask(short_rcpt("192.0.2.54", "v@five.example")), greylist_reply("five.example"));
}

TEST_F(Protocol, RequestsSplitByteByByteAreAnsweredInOrder) {
  auto daemon = start_tcp();
  auto client = connect();
  std::string batch;
  batch += rcpt_request("192.0.2.60", "s@example.net", "a@bytes-one.example");
  batch += data_state("192.0.2.60", "a@bytes-one.example");
  batch += rcpt_request("192.0.2.61", "s@example.net", "b@bytes-two.example", {}, "\r\n");
  ASSERT_TRUE(client.send_bytewise(batch));
  EXPECT_EQ(client.read_replies(3),
            (std::vector<std::string>{greylist_reply("bytes-one.example"), kDunnoReply,
                                      greylist_reply("bytes-two.example")}));

  // Slowly enough that every byte is its own segment, CR and LF of one line included.
  std::string slow = short_rcpt("192.0.2.62", "c@slow-one.example", "\r\n") + data_state("192.0.2.62", "c@x.example") +
                     short_rcpt("192.0.2.63", "d@slow-two.example");
  ASSERT_TRUE(client.send_bytewise(slow, 1ms));
  EXPECT_EQ(client.read_replies(3),
            (std::vector<std::string>{greylist_reply("slow-one.example"), kDunnoReply,
                                      greylist_reply("slow-two.example")}));
  EXPECT_TRUE(client.pending().empty()) << "unexpected extra bytes: " << client.pending();
}

TEST_F(Protocol, LfAndCrlfRequestsAreTheSame) {
  auto daemon = start_tcp({"--delay=1"});
  auto client = connect();
  align_to_second();  // the delay in the X-Greylist header is then exactly 1
  const auto first = system_clock::now();
  // CRLF: the reply is the same bare-LF reply, and no CR leaks into values.
  EXPECT_EQ(client.ask(rcpt_request("192.0.2.70", "crlf@example.net", "r@crlf.example", {}, "\r\n")),
            greylist_reply("crlf.example"));
  EXPECT_TRUE(daemon->wait_for_log("sender=crlf@example.net, recipient=r@crlf.example\n"));
  EXPECT_EQ(client.ask(rcpt_request("192.0.2.71", "lf@example.net", "r@lf.example")), greylist_reply("lf.example"));
  EXPECT_TRUE(daemon->wait_for_log("sender=lf@example.net, recipient=r@lf.example\n"));
  EXPECT_EQ(daemon->log().find('\r'), std::string::npos) << "a CR reached the log";

  // The triplet first seen over CRLF is the one retried over LF (and vice versa).
  sleep_until(first, 1100ms);
  EXPECT_TRUE(IsFirstPass(client.ask(rcpt_request("192.0.2.70", "crlf@example.net", "r@crlf.example")), 1));
  EXPECT_TRUE(IsFirstPass(client.ask(rcpt_request("192.0.2.71", "lf@example.net", "r@lf.example", {}, "\r\n")), 1));
  EXPECT_EQ(daemon->count_in_log("action=pass, reason=triplet found, delay="), 2u);
}

TEST_F(Protocol, BadRequestsGetDunnoAndTheDaemonCarriesOn) {
  auto daemon = start_tcp();
  auto client = connect();
  const std::string peer = client.local_endpoint();

  // Lines without '=' (or with nothing before it) are garbage; nothing else: DUNNO.
  EXPECT_EQ(client.ask("this is not an attribute\n=no name\n\n"), kDunnoReply);
  EXPECT_TRUE(daemon->wait_for_log("ignoring garbage from " + peer + ": this is not an attribute"));
  EXPECT_TRUE(daemon->wait_for_log("ignoring garbage from " + peer + ": =no name"));
  EXPECT_TRUE(daemon->wait_for_log("unrecognized request type: ''"));

  EXPECT_EQ(client.ask(rcpt_request("192.0.2.80", "s@example.net", "r@bad.example", {{"request", "junk_policy"}})),
            kDunnoReply);
  EXPECT_TRUE(daemon->wait_for_log("unrecognized request type: 'junk_policy'"));

  EXPECT_EQ(client.ask(rcpt_request("999.1.2.3", "s@example.net", "r@bad.example")), kDunnoReply);
  EXPECT_TRUE(daemon->wait_for_log("unparseable client_address: '999.1.2.3'"));

  EXPECT_EQ(client.ask(policy_request({{"request", "smtpd_access_policy"},
                                       {"protocol_state", "RCPT"},
                                       {"client_address", "192.0.2.80"},
                                       {"client_name", "unknown"},
                                       {"sender", "s@example.net"}})),
            kDunnoReply);
  EXPECT_TRUE(daemon->wait_for_log("attribute missing: recipient"));

  EXPECT_EQ(client.ask(policy_request({{"request", "smtpd_access_policy"},
                                       {"protocol_state", "RCPT"},
                                       {"client_name", "unknown"},
                                       {"sender", "s@example.net"},
                                       {"recipient", "r@bad.example"}})),
            kDunnoReply);
  EXPECT_TRUE(daemon->wait_for_log("attribute missing: client_address"));

  // Garbage mixed into a real request is ignored; the request itself is served.
  EXPECT_EQ(client.ask("garbage first\n" + rcpt_request("192.0.2.81", "s@example.net", "r@mixed.example")),
            greylist_reply("mixed.example"));
  // Same connection, then a new one: the daemon serves normally.
  EXPECT_EQ(client.ask(rcpt_request("192.0.2.82", "s@example.net", "r@good.example")), greylist_reply("good.example"));
  auto other = connect();
  EXPECT_EQ(other.ask(rcpt_request("192.0.2.83", "s@example.net", "r@other.example")),
            greylist_reply("other.example"));
  EXPECT_EQ(daemon->count_in_log("action=greylist"), 3u);
  EXPECT_TRUE(daemon->running());
}

// postgrey's rule, per request of a pipelined batch: a request without client_address,
// client_name, sender or recipient gets DUNNO and "attribute missing: NAME"; an empty
// sender (the null sender) is a normal request.
TEST_F(Protocol, EachPipelinedRequestMissingAnAttributeGetsDunno) {
  auto daemon = start_tcp();
  auto client = connect();
  auto without = [](const std::string& missing, const std::string& recipient) {
    std::vector<std::pair<std::string, std::string>> attributes{{"request", "smtpd_access_policy"},
                                                                {"protocol_state", "RCPT"},
                                                                {"client_address", "192.0.2.90"},
                                                                {"client_name", "mx.example.net"},
                                                                {"sender", "s@example.net"},
                                                                {"recipient", recipient}};
    std::erase_if(attributes, [&](const auto& attribute) { return attribute.first == missing; });
    return policy_request(attributes);
  };
  std::string batch;
  batch += without("", "a@one.example");                   // complete: greylist
  batch += without("client_name", "b@one.example");        // DUNNO
  batch += without("sender", "c@one.example");             // DUNNO
  batch += rcpt_request("192.0.2.90", "", "d@one.example");  // null sender: greylist
  batch += without("client_address", "e@one.example");     // DUNNO
  batch += without("recipient", "");                       // DUNNO
  batch += without("", "f@one.example");                   // greylist
  ASSERT_TRUE(client.send(batch));
  const auto replies = client.read_replies(7);
  ASSERT_EQ(replies.size(), 7u) << client.error();
  EXPECT_EQ(replies[0], greylist_reply("one.example"));
  EXPECT_EQ(replies[1], kDunnoReply);
  EXPECT_EQ(replies[2], kDunnoReply);
  EXPECT_EQ(replies[3], greylist_reply("one.example"));
  EXPECT_EQ(replies[4], kDunnoReply);
  EXPECT_EQ(replies[5], kDunnoReply);
  EXPECT_EQ(replies[6], greylist_reply("one.example"));
  for (const char* name : {"client_name", "sender", "client_address", "recipient"}) {
    EXPECT_TRUE(daemon->wait_for_log(std::string("warning: attribute missing: ") + name)) << name;
  }
  EXPECT_EQ(daemon->count_in_log("action=greylist"), 3u);
}

}  // namespace
}  // namespace grayling::test
