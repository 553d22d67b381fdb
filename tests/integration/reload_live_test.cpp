// SIGHUP applies what it says: each class of setting the config file can hold takes effect
// on the running daemon (open connections included, from their next request on), settings
// that take a restart are named and kept, and a whitelist file that cannot be read fails
// the whole reload instead of silently dropping its entries.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include "daemon_fixture.hpp"
#include "support/sqlite_lock.hpp"

namespace grayling::test {
namespace {

class ReloadLive : public DaemonTest {
 protected:
  std::string config_path() const { return dir_.file("grayling.conf"); }

  /// Replaces the config file's contents.
  void write_config(const std::string& text) const { std::ofstream(config_path()) << text; }

  /// Writes `text` as the config file, sends SIGHUP and waits for the reload's last line;
  /// returns the log written by the reload.
  std::string reload_with(DaemonProcess& daemon, const std::string& text) {
    write_config(text);
    const std::size_t mark = daemon.log().size();
    daemon.send_signal(SIGHUP);
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    for (;;) {
      std::string log = daemon.log().substr(mark);
      if (log.find("reload complete") != std::string::npos || log.find("reload failed") != std::string::npos) return log;
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "no end of reload in the log";
        return log;
      }
      std::this_thread::sleep_for(20ms);
    }
  }

  std::unique_ptr<DaemonProcess> start_with_config(const std::string& text, std::vector<std::string> extra = {}) {
    write_config(text);
    extra.push_back("--config=" + config_path());
    return start_tcp(extra);
  }
};

std::string rcpt(const std::string& client, const std::string& recipient) {
  return rcpt_request(client, "s@example.net", recipient);
}

TEST_F(ReloadLive, NoActionTurnsOnAndOffForOpenConnections) {
  auto daemon = start_with_config("no-action = true\n");
  auto client = connect();
  EXPECT_EQ(client.ask(rcpt("192.0.2.10", "a@na.example")), kDunnoReply) << "training mode: never defer";
  EXPECT_TRUE(daemon->wait_for_log("action=greylist, reason=new"));

  std::string log = reload_with(*daemon, "no-action = false\n");
  EXPECT_NE(log.find("reload complete: whitelists re-read; changed no-action"), std::string::npos) << log;
  EXPECT_EQ(client.ask(rcpt("192.0.2.11", "b@na.example")), greylist_reply("na.example")) << "same connection";

  log = reload_with(*daemon, "no-action = true\n");
  EXPECT_NE(log.find("changed no-action"), std::string::npos) << log;
  EXPECT_EQ(client.ask(rcpt("192.0.2.12", "c@na.example")), kDunnoReply);
  EXPECT_EQ(connect().ask(rcpt("192.0.2.13", "d@na.example")), kDunnoReply) << "new connection";
}

TEST_F(ReloadLive, NarrowedAllowFromClosesIdlePeersAndRefusesNewOnes) {
  auto daemon = start_with_config("allow-from = [\"127.0.0.1\", \"127.0.0.2\"]\n");
  std::string error;
  auto removed = PolicyClient::connect_tcp_from("127.0.0.2", "127.0.0.1", port(), 5s, &error);
  ASSERT_TRUE(removed) << error;
  EXPECT_EQ(removed->ask(rcpt("192.0.2.20", "a@af.example")), greylist_reply("af.example"));
  auto kept = connect();
  EXPECT_EQ(kept.ask(rcpt("192.0.2.21", "b@af.example")), greylist_reply("af.example"));
  const std::string removed_peer = removed->local_endpoint();

  const std::string log = reload_with(*daemon, "allow-from = [\"127.0.0.1\"]\n");
  EXPECT_NE(log.find("changed allow-from"), std::string::npos) << log;
  EXPECT_TRUE(removed->wait_closed(5s)) << "the idle connection of a removed peer stays open";
  EXPECT_TRUE(daemon->wait_for_log("closing connection from " + removed_peer + ": no longer in --allow-from"));

  auto again = PolicyClient::connect_tcp_from("127.0.0.2", "127.0.0.1", port(), 5s, &error);
  ASSERT_TRUE(again) << error;  // accepted by the kernel, then closed by the daemon
  again->send(rcpt("192.0.2.22", "c@af.example"));
  EXPECT_TRUE(again->wait_closed(5s));
  EXPECT_EQ(again->pending(), "") << "a refused peer gets no reply";
  EXPECT_EQ(kept.ask(rcpt("192.0.2.23", "d@af.example")), greylist_reply("af.example")) << "others go on";
}

TEST_F(ReloadLive, StoreErrorActionChangesWhileTheStoreIsLocked) {
  auto daemon = start_with_config("store-error-action = \"dunno\"\n");
  auto client = connect();
  EXPECT_EQ(client.ask(rcpt("192.0.2.30", "a@se.example")), greylist_reply("se.example"));
  SqliteExclusiveLock lock(dbdir() + "/grayling.db");
  EXPECT_EQ(client.ask(rcpt("192.0.2.31", "b@se.example")), kDunnoReply);

  const std::string log = reload_with(*daemon, "store-error-action = \"tempfail\"\n");
  EXPECT_NE(log.find("changed store-error-action"), std::string::npos) << log;
  EXPECT_EQ(client.ask(rcpt("192.0.2.32", "c@se.example")),
            "action=451 4.3.0 Greylisting temporarily unavailable, please try again later\n\n");
  lock.release();
  EXPECT_EQ(client.ask(rcpt("192.0.2.33", "d@se.example")), greylist_reply("se.example"));
}

TEST_F(ReloadLive, ALoweredLineLimitAppliesToTheNextRequestOfAnOpenConnection) {
  auto daemon = start_with_config("max-line-length = 4096\n");
  auto client = connect();
  const std::string long_sender(300, 'x');
  const std::string request = rcpt_request("192.0.2.40", long_sender + "@ll.example", "a@ll.example");
  EXPECT_EQ(client.ask(request), greylist_reply("ll.example"));

  const std::string log = reload_with(*daemon, "max-line-length = 128\n");
  EXPECT_NE(log.find("changed max-request-size/max-line-length/max-attributes"), std::string::npos) << log;
  client.send(request);
  EXPECT_TRUE(client.wait_closed(5s)) << "a line over the new limit must close the connection";
  EXPECT_TRUE(daemon->wait_for_log("closing connection from"));
  EXPECT_EQ(connect().ask(rcpt("192.0.2.41", "b@ll.example")), greylist_reply("ll.example"));
}

TEST_F(ReloadLive, AShorterIdleTimeoutReachesConnectionsAlreadyIdle) {
  auto daemon = start_with_config("idle-timeout = 600\n");
  auto client = connect();
  EXPECT_EQ(client.ask(rcpt("192.0.2.45", "a@it.example")), greylist_reply("it.example"));
  const std::string log = reload_with(*daemon, "idle-timeout = 1\n");
  EXPECT_NE(log.find("changed idle-timeout"), std::string::npos) << log;
  EXPECT_TRUE(client.wait_closed(4s)) << "still open although idle past the new timeout";
}

TEST_F(ReloadLive, VerbosityChangesWhatIsLogged) {
  auto daemon = start_with_config("quiet = true\n");
  auto client = connect();
  EXPECT_EQ(client.ask(rcpt("192.0.2.50", "a@vb.example")), greylist_reply("vb.example"));

  std::string log = reload_with(*daemon, "quiet = false\n");
  EXPECT_NE(log.find("changed verbose/quiet"), std::string::npos) << log;
  EXPECT_EQ(daemon->count_in_log("action=greylist"), 0u) << "-q hides decision lines";
  EXPECT_EQ(client.ask(rcpt("192.0.2.51", "b@vb.example")), greylist_reply("vb.example"));
  EXPECT_TRUE(daemon->wait_for_log("action=greylist, reason=new, client_name=mail.example.net, client_address=192.0.2.51"));

  log = reload_with(*daemon, "verbose = true\n");
  EXPECT_NE(log.find("changed verbose/quiet"), std::string::npos) << log;
  auto other = connect();
  EXPECT_TRUE(daemon->wait_for_log("debug: connection from " + other.local_endpoint())) << "-v logs connections";
}

TEST_F(ReloadLive, SettingsThatTakeARestartAreNamedAndKept) {
  auto daemon = start_with_config("greylist-text = \"one\"\n");
  const std::string pidfile = dir_.file("new.pid");
  const std::string log = reload_with(
      *daemon, "greylist-text = \"two\"\npidfile = \"" + pidfile + "\"\nsyslog-facility = \"local3\"\nsocketmode = \"0600\"\n");
  for (const char* field : {"pidfile", "syslog-facility", "socketmode"}) {
    EXPECT_NE(log.find(std::string("warning: reload: ") + field +
                       " changed, but that takes a restart; keeping the running value"),
              std::string::npos)
        << field << "\n" << log;
  }
  EXPECT_NE(log.find("reload complete: whitelists re-read; changed greylist-text"), std::string::npos) << log;
  EXPECT_FALSE(std::filesystem::exists(pidfile)) << "a restart-only setting was applied";
  EXPECT_EQ(connect().ask(rcpt("192.0.2.60", "a@rs.example")), "action=DEFER_IF_PERMIT two\n\n");
}

TEST_F(ReloadLive, AWhitelistThatCannotBeReadFailsTheWholeReload) {
  const std::string clients = dir_.file("clients");
  std::ofstream(clients) << "192.0.2.70\n";
  auto daemon = start_with_config("greylist-text = \"before\"\n", {"--whitelist-clients=" + clients});
  auto client = connect();
  EXPECT_EQ(client.ask(rcpt("192.0.2.70", "a@wl.example")), kDunnoReply);

  // Missing.
  std::filesystem::remove(clients);
  std::string log = reload_with(*daemon, "greylist-text = \"after\"\n");
  EXPECT_NE(log.find("error: reload failed, keeping the running configuration and whitelists: cannot read whitelist " +
                     clients + ": cannot read: No such file or directory"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("reload complete"), std::string::npos) << log;
  EXPECT_EQ(client.ask(rcpt("192.0.2.70", "b@wl.example")), kDunnoReply) << "the running whitelist stays";
  EXPECT_EQ(client.ask(rcpt("192.0.2.71", "c@wl.example")), "action=DEFER_IF_PERMIT before\n\n")
      << "nothing of the failed reload applies";

  // Unreadable (as root every mode is readable: a directory in its place fails alike).
  std::filesystem::create_directory(clients);
  log = reload_with(*daemon, "greylist-text = \"after\"\n");
  EXPECT_NE(log.find("cannot read whitelist " + clients + ": cannot read: Is a directory"), std::string::npos) << log;
  std::filesystem::remove(clients);

  // Back in place: the reload goes through.
  std::ofstream(clients) << "192.0.2.70\n";
  log = reload_with(*daemon, "greylist-text = \"after\"\n");
  EXPECT_NE(log.find("reload complete: whitelists re-read; changed greylist-text"), std::string::npos) << log;
  EXPECT_EQ(client.ask(rcpt("192.0.2.72", "d@wl.example")), "action=DEFER_IF_PERMIT after\n\n");
}

TEST_F(ReloadLive, ANamedWhitelistThatCannotBeReadStopsStartUp) {
  auto daemon = spawn({"--inet=127.0.0.1:" + std::to_string(port()), "--dbdir=" + dbdir(),
                       "--whitelist-clients=" + dir_.file("absent"), "--whitelist-recipients=" + dir_.file("absent2")});
  const auto status = daemon->wait_exit(10s);
  ASSERT_TRUE(status) << "started without its whitelist";
  EXPECT_TRUE(status->exited() && status->code() != 0) << status->describe();
  EXPECT_NE(daemon->log().find("critical: cannot read whitelist " + dir_.file("absent") + ": cannot read: No such file"),
            std::string::npos)
      << daemon->log();
  EXPECT_EQ(daemon->count_in_log("ready"), 0u);
}

TEST_F(ReloadLive, AMissingDefaultWhitelistIsOnlyAWarning) {
  if (std::filesystem::exists("/etc/grayling/whitelist_clients")) GTEST_SKIP() << "this machine has the default file";
  auto daemon = spawn({"--inet=127.0.0.1:" + std::to_string(port()), "--dbdir=" + dbdir()});
  ASSERT_TRUE(daemon->wait_ready(10s)) << daemon->log();
  EXPECT_TRUE(daemon->wait_for_log(
      "warning: whitelist /etc/grayling/whitelist_clients: cannot read: No such file or directory", 0ms))
      << daemon->log();
  // Still missing at reload: it was never read, so the reload goes through.
  const std::size_t mark = daemon->log().size();
  daemon->send_signal(SIGHUP);
  EXPECT_TRUE(daemon->wait_for_log("reload complete", 5s, mark)) << daemon->log();
}

}  // namespace
}  // namespace grayling::test
