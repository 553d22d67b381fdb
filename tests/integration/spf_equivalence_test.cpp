// SPF equivalence through the real daemon and a real DNS server (Debian's unbound on
// loopback, serving a test zone): a retry from another address the sender's domain
// authorises passes as the same triplet; an address it does not authorise, or an
// authorisation too broad to say anything (+all, a /8), or DNS trouble (a lookup loop, a
// server that never answers) keys by the client's network as before.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <thread>

#include "daemon_fixture.hpp"
#include "support/dns_server.hpp"
#include "support/run_program.hpp"

namespace grayling::test {
namespace {

using std::chrono::system_clock;

std::vector<std::string> spf_zone() {
  // A record of about 1,000 bytes, in character-strings of at most 200 (each may hold 255).
  std::string text = "v=spf1";
  // /24s: forty /16s would add up to more than a /12 (too broad to count).
  for (int i = 0; i < 40; ++i) text += " ip4:10." + std::to_string(i) + ".0.0/24";
  text += " ip4:192.0.2.0/24 ip4:198.51.100.0/24 -all";
  std::string huge = "huge.example. 300 IN TXT";
  for (std::size_t at = 0; at < text.size(); at += 200) huge += " \"" + text.substr(at, 200) + "\"";
  return {
      "pool.example. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.0/24 -all\"",
      "mx1.pool.example. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.0/24 -all\"",
      "broad.example. 300 IN TXT \"v=spf1 ip4:192.0.0.0/8 -all\"",
      "all.example. 300 IN TXT \"v=spf1 +all\"",
      "many.example. 300 IN TXT \"v=spf1 ip4:10.0.0.0/13 ip4:10.8.0.0/13 ip4:10.16.0.0/13 ip4:192.0.2.0/24 "
      "ip4:198.51.100.0/24 -all\"",
      "loop.example. 300 IN TXT \"v=spf1 include:loop2.example -all\"",
      "loop2.example. 300 IN TXT \"v=spf1 include:loop.example -all\"",
      huge,
  };
}

class SpfEquivalence : public DaemonTest {
 protected:
  void SetUp() override {
    if (DnsServer::binary().empty()) {
      if (DnsServer::required()) FAIL() << "GRAYLING_DNS_REQUIRED is set, but unbound is not installed";
      GTEST_SKIP() << "unbound is not installed";
    }
    dns_ = std::make_unique<DnsServer>(std::vector<std::string>{"example."}, spf_zone());
  }

  std::unique_ptr<DaemonProcess> start_with_spf(std::vector<std::string> extra = {}) {
    // What these tests check is the key SPF gives, not how fast a loaded machine answers:
    // a budget that a busy CI run cannot miss, unless the test sets its own.
    if (std::none_of(extra.begin(), extra.end(), [](const std::string& a) { return a.starts_with("--dns-timeout="); })) {
      extra.push_back("--dns-timeout=5000");
    }
    extra.push_back("--spf-equivalence=on");
    extra.push_back("--dns-server=" + dns_->address());
    extra.push_back("--delay=1");
    return start_tcp(extra);
  }

  std::unique_ptr<DnsServer> dns_;
};

/// Greylists `sender` from `first`, then asks again from `retry` after the delay.
std::optional<std::string> retry_elsewhere(PolicyClient& client, const std::string& sender, const std::string& first,
                                           const std::string& retry, const std::string& domain = "spf.example") {
  align_to_second();
  const auto start = system_clock::now();
  const auto greylisted = client.ask(rcpt_request(first, sender, "r@" + domain));
  if (greylisted != greylist_reply(domain)) return "first attempt: " + greylisted.value_or("no reply");
  sleep_until(start, 1100ms);
  return client.ask(rcpt_request(retry, sender, "r@" + domain));
}

TEST_F(SpfEquivalence, ARetryFromAnotherAuthorisedNetworkPasses) {
  auto daemon = start_with_spf();
  auto client = connect();
  EXPECT_TRUE(IsFirstPass(retry_elsewhere(client, "alice@pool.example", "192.0.2.10", "198.51.100.20")))
      << daemon->log() << dns_->log();
  // grayling-admin explain asks SPF as the daemon does, and explains the domain's key.
  const ProgramRun explained =
      run_program({grayling_admin_binary(), "--dbdir=" + dbdir(), "--spf-equivalence=on", "--dns-server=" + dns_->address(),
                   "--delay=1", "explain", "--client-address", "203.0.113.77", "--sender", "alice@pool.example",
                   "--recipient", "r@spf.example", "--json"});
  EXPECT_NE(explained.out.find(R"("triplet_key":"203.0.113.0/alice@pool.example/r@spf.example")"), std::string::npos)
      << "not authorised: keyed by network: " << explained.describe();
  const ProgramRun authorised =
      run_program({grayling_admin_binary(), "--dbdir=" + dbdir(), "--spf-equivalence=on", "--dns-server=" + dns_->address(),
                   "--delay=1", "explain", "--client-address", "198.51.100.99", "--sender", "alice@pool.example",
                   "--recipient", "r@spf.example"});
  EXPECT_NE(authorised.out.find("spf          pool.example authorises the client"), std::string::npos)
      << authorised.describe();
  EXPECT_NE(authorised.out.find("triplet key  spf:pool.example/alice@pool.example/r@spf.example"), std::string::npos);
  EXPECT_NE(authorised.out.find("outcome      pass (triplet found)"), std::string::npos) << authorised.out;
  // The same sender from an address the domain does not authorise is a new triplet.
  EXPECT_EQ(client.ask(rcpt_request("203.0.113.5", "alice@pool.example", "r@spf.example")),
            greylist_reply("spf.example"));
  // A 1,000-byte record in two strings: the same.
  EXPECT_TRUE(IsFirstPass(retry_elsewhere(client, "bob@huge.example", "192.0.2.11", "198.51.100.21")))
      << daemon->log();
  // The null sender is checked by its HELO name (RFC 7208 § 2.3).
  const auto helo = std::vector<std::pair<std::string, std::string>>{{"helo_name", "mx1.pool.example"}};
  align_to_second();
  const auto start = system_clock::now();
  ASSERT_EQ(client.ask(rcpt_request("192.0.2.12", "", "r@spf.example", helo)), greylist_reply("spf.example"));
  sleep_until(start, 1100ms);
  EXPECT_TRUE(IsFirstPass(client.ask(rcpt_request("198.51.100.22", "", "r@spf.example", helo)))) << daemon->log();
}

// grayling-admin pass, show and delete build the key as the daemon does, asking SPF:
// a triplet the daemon greylisted under spf:DOMAIN is found from any address the domain
// authorises; pass makes the daemon pass it; delete removes every row the daemon would
// decide by (the spf: row, and the network row it falls back on), so it greylists anew.
TEST_F(SpfEquivalence, AdminCommandsFindTheTripletUnderTheDaemonsSpfKey) {
  const std::vector<std::string> settings{"--spf-equivalence=on", "--dns-server=" + dns_->address(), "--delay=300"};
  auto daemon = start_tcp(settings);
  auto client = connect();
  const std::string request = rcpt_request("192.0.2.10", "alice@pool.example", "r@spf.example");
  ASSERT_EQ(client.ask(request), greylist_reply("spf.example"));
  const std::string key = "spf:pool.example/alice@pool.example/r@spf.example";
  // Named from another of the domain's addresses: the same triplet.
  const std::vector<std::string> elsewhere{"--client-address", "198.51.100.20", "--sender", "alice@pool.example",
                                           "--recipient", "r@spf.example"};
  auto with = [](std::string command, const std::vector<std::string>& query) {
    std::vector<std::string> args{std::move(command)};
    args.insert(args.end(), query.begin(), query.end());
    return args;
  };
  const ProgramRun shown = run_admin(with("show", elsewhere), settings);
  ASSERT_EQ(shown.exit_code, 0) << shown.describe();
  EXPECT_NE(shown.out.find("key         " + key + "\n"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("state       pending"), std::string::npos) << shown.out;

  const ProgramRun passed = run_admin(with("pass", elsewhere), settings);
  ASSERT_EQ(passed.exit_code, 0) << passed.describe();
  EXPECT_EQ(passed.out, "passed triplet " + key + ": it passes from now on\n");
  EXPECT_EQ(client.ask(request), kDunnoReply) << daemon->log();
  EXPECT_NE(run_admin(with("show", elsewhere), settings).out.find("state       passed"), std::string::npos);

  // A network row as well (as a daemon without SPF, or with DNS failing, writes it):
  // delete removes both, or the daemon would carry the network row over.
  const std::vector<std::string> here{"--client-address", "192.0.2.10", "--sender", "alice@pool.example",
                                      "--recipient", "r@spf.example"};
  ASSERT_EQ(run_admin(with("pass", here), {"--spf-equivalence=off"}).exit_code, 0);
  const ProgramRun deleted = run_admin(with("delete", here), settings);
  ASSERT_EQ(deleted.exit_code, 0) << deleted.describe();
  EXPECT_EQ(deleted.out, "deleted triplet " + key + "\ndeleted triplet 192.0.2.0/alice@pool.example/r@spf.example\n");
  EXPECT_EQ(client.ask(request), greylist_reply("spf.example"));
  EXPECT_TRUE(daemon->wait_for_count("reason=new", 2)) << daemon->log();
  const ProgramRun gone = run_admin(with("delete", elsewhere), settings);
  ASSERT_EQ(gone.exit_code, 0) << gone.describe();  // the row the daemon just wrote
  EXPECT_EQ(run_admin(with("show", elsewhere), settings).exit_code, 1);

  // The null sender is checked by its HELO name, there as in the daemon.
  const auto helo = std::vector<std::pair<std::string, std::string>>{{"helo_name", "mx1.pool.example"}};
  const std::string bounce = rcpt_request("192.0.2.12", "", "r@spf.example", helo);
  ASSERT_EQ(client.ask(bounce), greylist_reply("spf.example"));
  const ProgramRun bounce_passed = run_admin({"pass", "--client-address", "198.51.100.22", "--sender=", "--helo",
                                              "mx1.pool.example", "--recipient", "r@spf.example"},
                                             settings);
  ASSERT_EQ(bounce_passed.exit_code, 0) << bounce_passed.describe();
  EXPECT_EQ(bounce_passed.out, "passed triplet spf:mx1.pool.example//r@spf.example: it passes from now on\n");
  EXPECT_EQ(client.ask(bounce), kDunnoReply) << daemon->log();
}

TEST_F(SpfEquivalence, AuthorisationsTooBroadOrBrokenKeyByNetwork) {
  auto daemon = start_with_spf();
  auto client = connect();
  // +all and a /8 say nothing about the sender's servers: a forged sender could retry
  // from any bot.
  EXPECT_EQ(retry_elsewhere(client, "x@all.example", "192.0.2.30", "198.51.100.30"), greylist_reply("spf.example"));
  EXPECT_EQ(retry_elsewhere(client, "x@broad.example", "192.0.2.31", "192.1.0.31"), greylist_reply("spf.example"));
  // Three /13s and two /24s, each narrow alone, add up to more than a /12.
  EXPECT_EQ(retry_elsewhere(client, "x@many.example", "192.0.2.35", "198.51.100.35"), greylist_reply("spf.example"));
  // A lookup loop is a permerror: no equivalence, and an answer all the same.
  EXPECT_EQ(retry_elsewhere(client, "x@loop.example", "192.0.2.32", "198.51.100.32"), greylist_reply("spf.example"));
  // No SPF record at all (NXDOMAIN): the network key, so a retry from the same /24 passes.
  EXPECT_TRUE(IsFirstPass(retry_elsewhere(client, "x@nothing.example", "192.0.2.33", "192.0.2.34")));
}

TEST_F(SpfEquivalence, AResolverThatNeverAnswersOnlyCostsTheDnsTimeout) {
  const SilentDnsServer silent;
  auto daemon = start_tcp({"--spf-equivalence=on", "--dns-timeout=300", "--delay=1",
                           "--dns-server=" + silent.address()});
  auto client = connect();
  const auto before = std::chrono::steady_clock::now();
  EXPECT_EQ(client.ask(rcpt_request("192.0.2.40", "alice@pool.example", "r@spf.example")),
            greylist_reply("spf.example"));
  const auto took = std::chrono::steady_clock::now() - before;
  EXPECT_LT(took, 2s);
  // Whitelisted and cached passes never wait for DNS: covered by the daemon answering
  // them before any lookup (see the session); here, a retry from the same network passes.
  align_to_second();
  const auto start = system_clock::now();
  ASSERT_EQ(client.ask(rcpt_request("192.0.2.41", "carol@pool.example", "r@spf.example")),
            greylist_reply("spf.example"));
  sleep_until(start, 1100ms);
  EXPECT_TRUE(IsFirstPass(client.ask(rcpt_request("192.0.2.42", "carol@pool.example", "r@spf.example"))));
}

// A resolver that keeps missing the timeout is not asked for a while: requests are keyed
// by network at once, not after the timeout each (it is probed again 30 s later).
TEST_F(SpfEquivalence, AResolverThatKeepsMissingIsNotAskedForAWhile) {
  const SilentDnsServer silent;
  auto daemon = start_tcp({"--spf-equivalence=on", "--dns-timeout=200",
                           "--dns-server=" + silent.address()});
  auto client = connect();
  int slow = 0;
  for (int i = 0; i < 20; ++i) {
    const auto before = std::chrono::steady_clock::now();
    ASSERT_EQ(client.ask(rcpt_request("192.0.2.60", "s@d" + std::to_string(i) + ".example", "r@spf.example")),
              greylist_reply("spf.example"));
    if (std::chrono::steady_clock::now() - before < 100ms) break;
    ++slow;
  }
  EXPECT_EQ(slow, 9) << "nine timeouts in a row should pause asking";
  EXPECT_TRUE(daemon->wait_for_log("SPF: the resolver is not answering in time")) << daemon->log();
  for (int i = 0; i < 5; ++i) {  // and it stays paused
    const auto before = std::chrono::steady_clock::now();
    ASSERT_EQ(client.ask(rcpt_request("192.0.2.61", "s@e" + std::to_string(i) + ".example", "r@spf.example")),
              greylist_reply("spf.example"));
    EXPECT_LT(std::chrono::steady_clock::now() - before, 100ms);
  }
}

// A check that needs no DNS (a null sender with an address literal or a single-label HELO
// name, a sender @localhost) ends before any lookup; the request is answered, by network
// key, and the daemon goes on serving.
TEST_F(SpfEquivalence, ChecksThatNeedNoDnsAreAnsweredByNetwork) {
  auto daemon = start_with_spf();
  auto client = connect();
  for (const auto& [sender, helo] : std::vector<std::pair<std::string, std::string>>{
           {"", "[192.0.2.1]"}, {"", "localhost"}, {"x@localhost", "mail.example.net"}}) {
    EXPECT_EQ(client.ask(rcpt_request("192.0.2.70", sender, "r@spf.example", {{"helo_name", helo}})),
              greylist_reply("spf.example"))
        << sender << " / " << helo << "\n" << daemon->log();
  }
  EXPECT_TRUE(IsFirstPass(retry_elsewhere(client, "alice@pool.example", "192.0.2.10", "198.51.100.20")));
}

// After a pause, SPF resumes even when the first request after it asks no DNS (a null
// sender with an address literal or a single-label HELO name, a sender @localhost): such a
// check is no probe, so the next request that does ask DNS probes it, and a retry from
// another of the domain's servers passes again. (The pause is 30 s: this test takes that.)
TEST_F(SpfEquivalence, SpfResumesAfterAPauseWhateverTheFirstRequestAfterIt) {
  auto daemon = start_with_spf({"--dns-timeout=200"});
  auto client = connect();
  dns_->pause();
  for (int i = 0; i < 9; ++i) {
    ASSERT_EQ(client.ask(rcpt_request("192.0.2.60", "s@d" + std::to_string(i) + ".example", "r@spf.example")),
              greylist_reply("spf.example"));
  }
  ASSERT_TRUE(daemon->wait_for_log("SPF: the resolver is not answering in time")) << daemon->log();
  const auto paused_at = std::chrono::steady_clock::now();
  dns_->resume();
  std::this_thread::sleep_until(paused_at + 31s);
  // Checks that need no DNS: keyed by network, and no probe.
  for (const auto& [sender, helo] : std::vector<std::pair<std::string, std::string>>{
           {"", "[192.0.2.1]"}, {"", "localhost"}, {"x@localhost", "mail.example.net"}}) {
    EXPECT_EQ(client.ask(rcpt_request("192.0.2.61", sender, "r@spf.example", {{"helo_name", helo}})),
              greylist_reply("spf.example"));
  }
  // The probe: answered, so SPF equivalence is back.
  EXPECT_EQ(client.ask(rcpt_request("192.0.2.62", "p@pool.example", "r@spf.example")), greylist_reply("spf.example"));
  EXPECT_TRUE(daemon->wait_for_log("SPF equivalence resumed", 5s)) << daemon->log();
  EXPECT_TRUE(IsFirstPass(retry_elsewhere(client, "alice@pool.example", "192.0.2.10", "198.51.100.20")))
      << daemon->log();
}

// SIGTERM stops a daemon with SPF on as promptly as one without: the resolver does not
// hold the event loop open, and a request waiting on DNS is still answered (by network).
TEST_F(SpfEquivalence, SigtermStopsPromptlyAndAnswersARequestWaitingOnDns) {
  const SilentDnsServer silent;
  auto daemon = start_tcp({"--spf-equivalence=on", "--dns-timeout=10000",
                           "--dns-server=" + silent.address()});
  auto client = connect();
  ASSERT_TRUE(client.send(rcpt_request("192.0.2.50", "alice@pool.example", "r@spf.example")));
  std::this_thread::sleep_for(300ms);  // the SPF lookup is out, unanswered
  const auto before = std::chrono::steady_clock::now();
  daemon->send_signal(SIGTERM);
  EXPECT_EQ(client.read_reply(), greylist_reply("spf.example"));
  const auto status = daemon->wait_exit(5s);
  ASSERT_TRUE(status) << "still running 5 s after SIGTERM";
  EXPECT_EQ(status->describe(), "exit 0");
  EXPECT_LT(std::chrono::steady_clock::now() - before, 3s);
}

}  // namespace
}  // namespace grayling::test
