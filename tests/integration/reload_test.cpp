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
