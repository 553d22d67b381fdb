// SIGHUP: the daemon re-reads its configuration and whitelists while it keeps running and
// keeps its connections.
#include <csignal>
#include <fstream>

#include "daemon_fixture.hpp"

namespace grayling::test {
namespace {

class Reload : public DaemonTest {};

TEST_F(Reload, SighupReloadsWhitelistsAndKeepsServing) {
  const std::string clients = dir_.file("whitelist_clients");
  std::ofstream(clients) << "# nothing yet\n";
  auto daemon = start_tcp({"--whitelist-clients=" + clients});
  auto client = connect();
  EXPECT_EQ(client.ask(rcpt_request("192.0.2.210", "s@example.net", "a@reload.example")),
            greylist_reply("reload.example"));

  std::ofstream(clients) << "192.0.2.210\n";
  const std::size_t before = daemon->log().size();
  daemon->send_signal(SIGHUP);
  ASSERT_TRUE(daemon->wait_for_log("reload complete", 5s, before));
  EXPECT_TRUE(daemon->running());

  // Same connection, after the reload: the client is whitelisted, others are not.
  EXPECT_EQ(client.ask(rcpt_request("192.0.2.210", "s@example.net", "b@reload.example")), kDunnoReply);
  EXPECT_TRUE(daemon->wait_for_log("action=pass, reason=client whitelist", 5s, before));
  EXPECT_EQ(client.ask(rcpt_request("192.0.2.211", "s@example.net", "c@reload.example")),
            greylist_reply("reload.example"));
  EXPECT_EQ(connect().ask(rcpt_request("192.0.2.210", "s@example.net", "d@reload.example")), kDunnoReply);
}

}  // namespace
}  // namespace grayling::test

namespace grayling::test {
namespace {

std::string deferral(const std::string& text) { return "action=DEFER_IF_PERMIT " + text + "\n\n"; }

TEST_F(Reload, ConfigFileChangesApplyAndABrokenOneIsRejected) {
  const std::string config = dir_.file("grayling.conf");
  std::ofstream(config) << "greylist-text = \"first text\"\n";
  auto daemon = start_tcp({"--config=" + config});
  auto client = connect();
  EXPECT_EQ(client.ask(rcpt_request("192.0.2.220", "s@example.net", "a@conf.example")), deferral("first text"));

  std::ofstream(config) << "greylist-text = \"second text\"\n";
  std::size_t before = daemon->log().size();
  daemon->send_signal(SIGHUP);
  ASSERT_TRUE(daemon->wait_for_log("reload complete", 5s, before));
  EXPECT_EQ(client.ask(rcpt_request("192.0.2.221", "s@example.net", "b@conf.example")), deferral("second text"));

  // A misspelt key: the whole new file is refused, the running settings stay.
  std::ofstream(config) << "greylist-text = \"third text\"\ngreylist-txet = \"typo\"\n";
  before = daemon->log().size();
  daemon->send_signal(SIGHUP);
  ASSERT_TRUE(daemon->wait_for_log("reload failed, keeping the running configuration", 5s, before));
  EXPECT_TRUE(daemon->running());
  EXPECT_EQ(client.ask(rcpt_request("192.0.2.222", "s@example.net", "c@conf.example")), deferral("second text"));
}

}  // namespace
}  // namespace grayling::test
