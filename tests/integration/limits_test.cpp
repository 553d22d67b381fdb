// Request limits: an over-long line or an over-large request gets no reply; the daemon
// closes that connection, names the peer in a warning, and keeps serving everyone else.
#include "daemon_fixture.hpp"

namespace grayling::test {
namespace {

class Limits : public DaemonTest {
 protected:
  std::unique_ptr<DaemonProcess> start_limited() {
    return start_tcp({"--max-line-length=128", "--max-request-size=1024"});
  }
};

TEST_F(Limits, OverLongLineClosesTheConnectionWithoutReply) {
  auto daemon = start_limited();
  auto bystander = connect();
  auto offender = connect();
  const std::string peer = offender.local_endpoint();

  ASSERT_TRUE(offender.send("request=smtpd_access_policy\nccert_subject=" + std::string(200, 'a') + "\n\n"));
  EXPECT_TRUE(offender.wait_closed(5s)) << offender.error();
  EXPECT_EQ(offender.pending(), "") << "no reply may be sent";
  EXPECT_TRUE(daemon->wait_for_log("closing connection from " + peer + ": line longer than 128 bytes"));

  // Others are unaffected, old and new connections alike.
  EXPECT_EQ(bystander.ask(rcpt_request("192.0.2.90", "s@example.net", "r@long.example")),
            greylist_reply("long.example"));
  auto newcomer = connect();
  EXPECT_EQ(newcomer.ask(rcpt_request("192.0.2.91", "s@example.net", "r@long.example")),
            greylist_reply("long.example"));
}

TEST_F(Limits, OverLongPartialLineClosesTheConnection) {
  auto daemon = start_limited();
  auto offender = connect();
  const std::string peer = offender.local_endpoint();
  // No newline at all: the daemon must not buffer it waiting for one.
  ASSERT_TRUE(offender.send("request=smtpd_access_policy\nsender=" + std::string(300, 'b')));
  EXPECT_TRUE(offender.wait_closed(5s)) << offender.error();
  EXPECT_EQ(offender.pending(), "");
  EXPECT_TRUE(daemon->wait_for_log("closing connection from " + peer + ": line longer than 128 bytes"));
  EXPECT_EQ(connect().ask(rcpt_request("192.0.2.92", "s@example.net", "r@partial.example")),
            greylist_reply("partial.example"));
}

TEST_F(Limits, OverLargeRequestClosesTheConnectionWithoutReply) {
  auto daemon = start_limited();
  auto bystander = connect();
  auto offender = connect();
  const std::string peer = offender.local_endpoint();

  // 20 lines of 100 bytes: each line is within limits, the request is not.
  std::string request = "request=smtpd_access_policy\n";
  for (int i = 0; i < 20; ++i) {
    const std::string name = "x" + std::to_string(100 + i) + "=";
    request += name + std::string(99 - name.size(), 'c') + "\n";
  }
  request += "\n";
  ASSERT_TRUE(offender.send(request));
  EXPECT_TRUE(offender.wait_closed(5s)) << offender.error();
  EXPECT_EQ(offender.pending(), "") << "no reply may be sent";
  EXPECT_TRUE(daemon->wait_for_log("closing connection from " + peer + ": request larger than 1024 bytes"));

  EXPECT_EQ(bystander.ask(rcpt_request("192.0.2.93", "s@example.net", "r@large.example")),
            greylist_reply("large.example"));
  EXPECT_EQ(connect().ask(rcpt_request("192.0.2.94", "s@example.net", "r@large.example")),
            greylist_reply("large.example"));
}

TEST_F(Limits, RequestsJustWithinTheLimitsAreServed) {
  auto daemon = start_limited();
  auto client = connect();
  // A 128-byte line (plus its LF) is allowed.
  const std::string filler = "ccert_subject=";
  const std::string line = filler + std::string(128 - filler.size(), 'd');
  EXPECT_EQ(client.ask(line + "\n" + rcpt_request("192.0.2.95", "s@example.net", "r@edge.example")),
            greylist_reply("edge.example"));
  EXPECT_EQ(daemon->count_in_log("closing connection"), 0u);
}

}  // namespace
}  // namespace grayling::test

namespace grayling::test {
namespace {

TEST_F(Limits, RequestBeforeABrokenOneInTheSameWriteIsStillAnswered) {
  auto daemon = start_limited();
  auto client = connect();
  ASSERT_TRUE(client.send(rcpt_request("192.0.2.96", "s@example.net", "r@first.example") +
                          "request=smtpd_access_policy\nsender=" + std::string(300, 'e') + "\n\n"));
  EXPECT_TRUE(client.wait_closed(5s)) << client.error();
  EXPECT_EQ(client.pending(), greylist_reply("first.example"));
  EXPECT_TRUE(daemon->wait_for_log("line longer than 128 bytes"));
}

TEST_F(Limits, CrlfLineAtTheLimitIsServed) {
  auto daemon = start_limited();
  auto client = connect();
  const std::string filler = "ccert_subject=";
  const std::string line = filler + std::string(128 - filler.size(), 'd');
  EXPECT_EQ(client.ask(line + "\r\n" + rcpt_request("192.0.2.97", "s@example.net", "r@crlf.example")),
            greylist_reply("crlf.example"));
}

}  // namespace
}  // namespace grayling::test
