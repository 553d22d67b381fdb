// postgrey options that change how answers are given: --exim, --no-action, --privacy,
// --lookup-by-host, and the auto-whitelist, through the real binary.
#include <fstream>
#include <iterator>

#include "daemon_fixture.hpp"

namespace grayling::test {
namespace {

class PostgreyOptions : public DaemonTest {};

TEST_F(PostgreyOptions, EximClosesTheConnectionAfterEachAnswer) {
  auto daemon = start_tcp({"--exim"});
  auto client = connect();
  EXPECT_EQ(client.ask(rcpt_request("192.0.2.10", "s@example.net", "r@exim.example")), greylist_reply("exim.example"));
  EXPECT_TRUE(client.wait_closed(5s)) << client.error();
  // The next question needs a new connection, as Exim's readsocket makes one per query.
  EXPECT_EQ(connect().ask(rcpt_request("192.0.2.11", "s@example.net", "r@exim.example")),
            greylist_reply("exim.example"));
}

TEST_F(PostgreyOptions, NoActionLogsTheGreylistButAnswersDunno) {
  auto daemon = start_tcp({"--no-action"});
  auto client = connect();
  EXPECT_EQ(client.ask(rcpt_request("192.0.2.12", "s@example.net", "r@train.example")), kDunnoReply);
  EXPECT_TRUE(daemon->wait_for_log("action=greylist, reason=new"));
}

TEST_F(PostgreyOptions, LookupByHostSeparatesNeighbours) {
  align_to_second();
  const auto first = std::chrono::system_clock::now();
  auto daemon = start_tcp({"--delay=1", "--lookup-by-host"});
  auto client = connect();
  EXPECT_EQ(client.ask(rcpt_request("192.0.2.13", "s@example.net", "r@host.example")), greylist_reply("host.example"));
  sleep_until(first, 1100ms);
  // Same /24, other host: a new triplet by the full address.
  EXPECT_EQ(client.ask(rcpt_request("192.0.2.14", "s@example.net", "r@host.example")), greylist_reply("host.example"));
  EXPECT_TRUE(IsFirstPass(client.ask(rcpt_request("192.0.2.13", "s@example.net", "r@host.example"))));
}

TEST_F(PostgreyOptions, AutoWhitelistTrustsAClientAfterOnePassWhenNIsOne) {
  align_to_second();
  const auto first = std::chrono::system_clock::now();
  auto daemon = start_tcp({"--delay=1", "--auto-whitelist-clients=1"});
  auto client = connect();
  EXPECT_EQ(client.ask(rcpt_request("192.0.2.15", "s@example.net", "r@awl.example")), greylist_reply("awl.example"));
  sleep_until(first, 1100ms);
  EXPECT_TRUE(IsFirstPass(client.ask(rcpt_request("192.0.2.15", "s@example.net", "r@awl.example"))));
  EXPECT_TRUE(daemon->wait_for_log("whitelisted: "));
  // A brand-new triplet from that client now passes at once.
  EXPECT_EQ(client.ask(rcpt_request("192.0.2.15", "other@example.org", "x@awl.example")), kDunnoReply);
  EXPECT_TRUE(daemon->wait_for_log("action=pass, reason=client AWL"));
}

// With or without --privacy the SQLite store files keys as digests; this checks --privacy
// works end to end (hashed keys still match on retry) and no address reaches the disk.
TEST_F(PostgreyOptions, PrivacyKeepsAddressesOutOfTheDatabase) {
  align_to_second();
  const auto first = std::chrono::system_clock::now();
  {
    auto daemon = start_tcp({"--delay=1", "--privacy"});
    auto client = connect();
    EXPECT_EQ(client.ask(rcpt_request("192.0.2.16", "private-sender@example.net", "r@privacy.example")),
              greylist_reply("privacy.example"));
    sleep_until(first, 1100ms);
    EXPECT_TRUE(IsFirstPass(client.ask(rcpt_request("192.0.2.16", "private-sender@example.net", "r@privacy.example"))));
  }
  for (const char* name : {"grayling.db", "grayling.db-wal"}) {
    std::ifstream file(dbdir() + "/" + name, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find("private-sender"), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace grayling::test
