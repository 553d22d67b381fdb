// grayling-admin's explain, list, show, delete, pass, whitelist-client and report against
// a running daemon: each answers about, or changes, what the daemon itself decides, and a
// change reaches the daemon before the command returns (its pass cache included). Where
// the key matters, each test runs with SPF equivalence off and on (spf_variant.hpp): the
// tool must find the triplet under the key the daemon built, spf:DOMAIN or the network.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "shared_postgres_fixture.hpp"
#include "spf_variant.hpp"
#include "support/run_program.hpp"

namespace grayling::test {
namespace {

using std::chrono::system_clock;

class AdminCommands : public DaemonTest {};
class KeyedAdminCommands : public SpfVariant {};
INSTANTIATE_TEST_SUITE_P(Spf, KeyedAdminCommands, ::testing::Bool(), spf_variant_name);

/// The daemon's reply to alice@example.org writing from `host` to `recipient`.
std::string ask_alice(PolicyClient& client, const std::string& host, const std::string& recipient) {
  return client.ask(rcpt_request(host, "alice@example.org", recipient)).value_or("no reply");
}

// explain runs the daemon's engine: its reply is the daemon's reply, byte for byte, at
// every stage of a triplet (new, early retry, first pass), and it changes nothing.
TEST_P(KeyedAdminCommands, ExplainGivesTheDaemonsOwnAnswerAndChangesNothing) {
  auto daemon = start_tcp({"--delay=2"});
  auto client = connect();
  const std::vector<std::string> query{"--client-address", "192.0.2.10",    "--client-name", "mail.example.net",
                                       "--sender",         "alice@example.org", "--recipient", "bob@explain.example"};
  auto explain = [&](std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"explain"};
    args.insert(args.end(), query.begin(), query.end());
    args.insert(args.end(), extra.begin(), extra.end());
    return run_admin(args, {"--delay=2"});
  };
  const auto etrn = std::vector<std::pair<std::string, std::string>>{{"etrn_domain", ""}};
  const std::string request = rcpt_request("192.0.2.10", "alice@example.org", "bob@explain.example", etrn);

  const ProgramRun before = explain({"--json"});
  ASSERT_EQ(before.exit_code, 0) << before.describe();
  EXPECT_NE(before.out.find(R"("outcome":"greylist","reason":"new")"), std::string::npos) << before.out;
  EXPECT_NE(before.out.find(R"("seconds_left":2,)"), std::string::npos) << before.out;
  const std::string key = client_part("example.org", "192.0.2.0") + "/alice@example.org/bob@explain.example";
  EXPECT_NE(before.out.find(R"("triplet_key":")" + key + "\""), std::string::npos) << before.out;
  EXPECT_EQ(explain().exit_code, 0);
  align_to_second();
  const auto first = system_clock::now();
  const std::string reply = client.ask(request).value_or("");
  EXPECT_EQ(reply, greylist_reply("explain.example", true)) << "explain wrote the triplet";
  EXPECT_NE(before.out.find(R"("reply":")" + reply.substr(0, reply.size() - 2) + "\""), std::string::npos)
      << before.out << " vs " << reply;

  sleep_until(first, 1100ms);  // in the second it was first seen, the engine still calls it new
  const ProgramRun early = explain();
  ASSERT_EQ(early.exit_code, 0) << early.describe();
  EXPECT_NE(early.out.find("outcome      early retry (early-retry ("), std::string::npos) << early.out;
  EXPECT_NE(early.out.find("stored       first seen "), std::string::npos) << early.out;
  EXPECT_NE(early.out.find("auto-whitelist  192.0.2.10: no passes counted yet"), std::string::npos) << early.out;

  const ProgramRun later = explain({"--at", "+5s", "--json"});
  ASSERT_EQ(later.exit_code, 0) << later.describe();
  EXPECT_NE(later.out.find(R"("outcome":"pass","reason":"triplet found","reply":"action=PREPEND X-Greylist: delayed )"),
            std::string::npos)
      << later.out;
  EXPECT_EQ(client.ask(request).value_or("").rfind("action=DEFER_IF_PERMIT", 0), 0U)
      << "still early: explain --at must not have passed it";
}

TEST_F(AdminCommands, ExplainNamesTheWhitelistEntryByFileAndLine) {
  const std::string clients = dir_.file("clients");
  std::ofstream(clients) << "# partners\nexample.com\n\n198.51.100.0/24\n";
  const ProgramRun run = run_admin({"explain", "--client-address", "198.51.100.9", "--sender", "", "--recipient",
                                "r@example.net", "--whitelist-clients=" + clients});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_NE(run.out.find("whitelist    client whitelist matched " + clients + ":4: 198.51.100.0/24"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("reply        action=DUNNO"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("sender <> (null sender)"), std::string::npos) << run.out;
}

// The daemon caches passes on its I/O thread; a triplet deleted by grayling-admin must
// not go on passing from there, not even for the next request.
TEST_P(KeyedAdminCommands, ADeletedTripletStopsPassingAtOnceCacheIncluded) {
  auto daemon = start_tcp({"--delay=1"});
  auto client = connect();
  align_to_second();
  const auto first = system_clock::now();
  ASSERT_EQ(ask_alice(client, "192.0.2.20", "r@delete.example"), greylist_reply("delete.example"));
  sleep_until(first, 1100ms);
  ASSERT_TRUE(IsFirstPass(client.ask(rcpt_request("192.0.2.20", "alice@example.org", "r@delete.example"))));
  for (int i = 0; i < 3; ++i) ASSERT_EQ(ask_alice(client, "192.0.2.20", "r@delete.example"), kDunnoReply);

  const ProgramRun deleted = run_admin({"delete", "--client-address", "192.0.2.20", "--sender", "alice@example.org",
                                    "--recipient", "r@delete.example"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.describe();
  EXPECT_EQ(deleted.out,
            "deleted triplet " + client_part("example.org", "192.0.2.0") + "/alice@example.org/r@delete.example\n");
  EXPECT_EQ(ask_alice(client, "192.0.2.20", "r@delete.example"), greylist_reply("delete.example"));
  EXPECT_TRUE(daemon->wait_for_log("forgot 1 cached passes"));

  // Gone is gone: deleting it again is an error that changes nothing.
  const ProgramRun again = run_admin({"delete", "--client-address", "192.0.2.20", "--sender", "alice@example.org",
                                  "--recipient", "r@delete.example", "0000000000000001"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("no such row: 0000000000000001"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("(nothing was changed)"), std::string::npos) << again.err;
}

TEST_P(KeyedAdminCommands, PassLetsOneSenderThroughAndWhitelistClientTrustsAClient) {
  auto daemon = start_tcp({"--delay=300"});
  auto client = connect();
  ASSERT_EQ(ask_alice(client, "192.0.2.30", "r@pass.example"), greylist_reply("pass.example"));
  const ProgramRun passed = run_admin({"pass", "--client-address", "192.0.2.30", "--sender", "alice@example.org",
                                   "--recipient", "r@pass.example"});
  ASSERT_EQ(passed.exit_code, 0) << passed.describe();
  EXPECT_EQ(passed.out, "passed triplet " + client_part("example.org", "192.0.2.0") +
                            "/alice@example.org/r@pass.example: it passes from now on\n");
  EXPECT_EQ(ask_alice(client, "192.0.2.30", "r@pass.example"), kDunnoReply);
  // A triplet never seen can be passed ahead of its first attempt.
  ASSERT_EQ(run_admin({"pass", "--client-address", "198.51.100.31", "--sender", "alice@example.org", "--recipient",
                   "new@pass.example"})
                .exit_code,
            0);
  EXPECT_EQ(ask_alice(client, "198.51.100.31", "new@pass.example"), kDunnoReply);

  const ProgramRun trusted = run_admin({"whitelist-client", "203.0.113.32"});
  ASSERT_EQ(trusted.exit_code, 0) << trusted.describe();
  EXPECT_EQ(ask_alice(client, "203.0.113.32", "anyone@pass.example"), kDunnoReply);
  EXPECT_TRUE(daemon->wait_for_log("reason=client AWL"));
  const ProgramRun clients = run_admin({"list", "--clients"});
  ASSERT_EQ(clients.exit_code, 0) << clients.describe();
  EXPECT_NE(clients.out.find("whitelisted  "), std::string::npos) << clients.out;
  EXPECT_NE(clients.out.find("203.0.113.32\n"), std::string::npos) << clients.out;
  const ProgramRun removed = run_admin({"delete", "--awl-client", "203.0.113.32"});
  ASSERT_EQ(removed.exit_code, 0) << removed.describe();
  EXPECT_EQ(ask_alice(client, "203.0.113.32", "other@pass.example"), greylist_reply("pass.example"));
}

TEST_P(KeyedAdminCommands, ListAndShowReadTheGreylistTheDaemonWrites) {
  auto daemon = start_tcp({"--delay=1"});
  auto client = connect();
  align_to_second();
  const auto first = system_clock::now();
  ASSERT_EQ(ask_alice(client, "192.0.2.40", "r@list.example"), greylist_reply("list.example"));
  ASSERT_EQ(client.ask(rcpt_request("198.51.100.41", "Bob+News@Other.example", "r@list.example")),
            greylist_reply("list.example"));
  sleep_until(first, 1100ms);
  ASSERT_TRUE(IsFirstPass(client.ask(rcpt_request("192.0.2.40", "alice@example.org", "r@list.example"))));

  const std::vector<std::string> same{"--delay=1"};  // the daemon's options, as its config file would give them
  const ProgramRun all = run_admin({"list"}, same);
  ASSERT_EQ(all.exit_code, 0) << all.describe();
  EXPECT_NE(all.out.find("passed   "), std::string::npos) << all.out;
  const std::string alice_key = client_part("example.org", "192.0.2.0") + "/alice@example.org/r@list.example";
  EXPECT_NE(all.out.find(alice_key + "\n"), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("198.51.100.0/bob@other.example/r@list.example\n"), std::string::npos) << all.out;
  EXPECT_NE(all.err.find("2 triplets"), std::string::npos) << all.err;

  const ProgramRun pending = run_admin({"list", "--state", "pending", "--sender", "bob+news@other.example", "--json"});
  ASSERT_EQ(pending.exit_code, 0) << pending.describe();
  EXPECT_EQ(std::count(pending.out.begin(), pending.out.end(), '\n'), 1) << pending.out;
  EXPECT_NE(pending.out.find(R"("key":"198.51.100.0/bob@other.example/r@list.example")"), std::string::npos);
  // Bob's domain publishes no SPF: keyed by network either way.
  const ProgramRun by_client = run_admin({"list", "--client", "198.51.100.99", "--recipient", "@list.example"});
  EXPECT_NE(by_client.out.find("198.51.100.0/bob@"), std::string::npos) << by_client.out;
  EXPECT_EQ(by_client.out.find("/alice@"), std::string::npos) << by_client.out;
  EXPECT_EQ(run_admin({"list", "--older-than", "1d"}).err, "0 triplets\n");

  const ProgramRun shown = run_admin({"show", "198.51.100.0/bob@other.example/r@list.example"}, same);
  ASSERT_EQ(shown.exit_code, 0) << shown.describe();
  EXPECT_NE(shown.out.find("sender      bob@other.example\n"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("state       pending: the next retry passes"), std::string::npos) << shown.out;
  const std::string id = pending.out.substr(pending.out.find(R"("id":")") + 6, 16);
  EXPECT_EQ(run_admin({"show", id}, same).out, shown.out);

  // A triplet by its parts: the row the daemon decides by, found by the key it builds.
  const ProgramRun by_parts = run_admin(
      {"show", "--client-address", "192.0.2.40", "--sender", "alice@example.org", "--recipient", "r@list.example"},
      same);
  ASSERT_EQ(by_parts.exit_code, 0) << by_parts.describe();
  EXPECT_NE(by_parts.out.find("key         " + alice_key + "\n"), std::string::npos) << by_parts.out;
  EXPECT_NE(by_parts.out.find("state       passed"), std::string::npos) << by_parts.out;
}

TEST_P(KeyedAdminCommands, BadInputIsAClearErrorAndChangesNothing) {
  auto daemon = start_tcp({"--delay=300"});
  auto client = connect();
  ASSERT_EQ(ask_alice(client, "192.0.2.50", "r@bad.example"), greylist_reply("bad.example"));
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{"explain", "--client-address", "192.0.2.300", "--sender", "a@b", "--recipient", "c@d"}, "not an IPv4 or IPv6"},
      {{"delete", "--client-address", "192.0.2.50", "--sender", "nobody@example.org", "--recipient", "r@bad.example"},
       "no such row"},
      {{"show", "ffffffffffffffff"}, "no such row: ffffffffffffffff"},
      {{"pass", "0123456789abcdef"}, "no such row"},
      {{"list", "--state", "stuck"}, "--state stuck: pending or passed"},
      {{"list", "--older-than", "soon"}, "not a duration"},
      {{"whitelist-client", "mx.example.org"}, "not an IPv4 or IPv6"},
      {{"explain", "--client-address", "192.0.2.1", "--sender", "a@b", "--recipient", "c@d", "--at", "whenever"},
       "not a time"},
  };
  for (const auto& [args, message] : cases) {
    const ProgramRun run = run_admin(args);
    EXPECT_EQ(run.exit_code, 1) << args[0] << ": " << run.describe();
    EXPECT_NE(run.err.find(message), std::string::npos) << args[0] << ": " << run.err;
  }
  EXPECT_EQ(run_admin({"whitelist-client", "192.0.2.1"}, {"--auto-whitelist-clients=0"}).exit_code, 1);
  const ProgramRun list = run_admin({"list"});
  EXPECT_NE(list.err.find("1 triplets"), std::string::npos) << list.err;
  EXPECT_EQ(ask_alice(client, "192.0.2.50", "r@bad.example").rfind("action=DEFER_IF_PERMIT", 0), 0U);
  EXPECT_NE(run_admin({"delete", "--help"}).out.find("--awl-client"), std::string::npos);
}

// With --privacy the store holds digests: list shows them, and explain, delete and pass
// still find their triplet, because they build (and hash) the key from the query.
TEST_P(KeyedAdminCommands, WithPrivacyListShowsDigestsAndQueriesStillWork) {
  auto daemon = start_tcp({"--delay=300", "--privacy"});  // the admin's default delay is 300 too
  auto client = connect();
  ASSERT_EQ(ask_alice(client, "192.0.2.60", "r@privacy.example"), greylist_reply("privacy.example"));
  const ProgramRun list = run_admin({"list"}, {"--privacy"});
  ASSERT_EQ(list.exit_code, 0) << list.describe();
  EXPECT_EQ(list.out.find("privacy.example"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("pending"), std::string::npos) << list.out;
  EXPECT_EQ(run_admin({"list", "--sender", "alice@example.org"}, {"--privacy"}).exit_code, 1);
  const std::vector<std::string> query{"--client-address", "192.0.2.60", "--sender", "alice@example.org",
                                       "--recipient", "r@privacy.example"};
  std::vector<std::string> explain{"explain", "--at", "+10s"};
  explain.insert(explain.end(), query.begin(), query.end());
  const ProgramRun explained = run_admin(explain, {"--privacy"});
  EXPECT_NE(explained.out.find("outcome      early retry"), std::string::npos) << explained.out;
  std::vector<std::string> pass{"pass"};
  pass.insert(pass.end(), query.begin(), query.end());
  ASSERT_EQ(run_admin(pass, {"--privacy"}).exit_code, 0);
  EXPECT_EQ(ask_alice(client, "192.0.2.60", "r@privacy.example"), kDunnoReply);
  std::vector<std::string> remove{"delete"};
  remove.insert(remove.end(), query.begin(), query.end());
  ASSERT_EQ(run_admin(remove, {"--privacy"}).exit_code, 0);
  EXPECT_EQ(ask_alice(client, "192.0.2.60", "r@privacy.example"), greylist_reply("privacy.example"));
}

TEST_F(AdminCommands, ReportReadsTheDaemonsOwnLog) {
  auto daemon = start_tcp({"--delay=1"});
  auto client = connect();
  align_to_second();
  const auto first = system_clock::now();
  ASSERT_EQ(ask_alice(client, "192.0.2.70", "r@report.example"), greylist_reply("report.example"));
  ASSERT_EQ(ask_alice(client, "198.51.100.71", "r@report.example"), greylist_reply("report.example"));
  sleep_until(first, 1100ms);
  ASSERT_TRUE(IsFirstPass(client.ask(rcpt_request("192.0.2.70", "alice@example.org", "r@report.example"))));
  ASSERT_TRUE(daemon->wait_for_count("action=", 3));
  const ProgramRun report = run_admin({"report", "--json", daemon->log_path()});
  ASSERT_EQ(report.exit_code, 0) << report.describe();
  EXPECT_NE(report.out.find(R"("triplets":2,"passed":1,)"), std::string::npos) << report.out;
  const ProgramRun text = run_admin({"report", "--since", "1h", daemon->log_path()});
  ASSERT_EQ(text.exit_code, 0) << text.describe();
  EXPECT_NE(text.out.find("example.org"), std::string::npos) << text.out;
  EXPECT_EQ(run_admin({"report", dir_.file("no-such.log")}).exit_code, 1);
}

// A change made at one host of a shared PostgreSQL greylist reaches every daemon's cache
// (LISTEN/NOTIFY), not only within the 10 s bound of the cache.
TEST_F(SharedPostgres, ADeletionReachesEveryDaemonsCacheAtOnce) {
  auto first_daemon = start_first({"--delay=1"});
  auto second_daemon = start_second({"--delay=1"});
  auto at_first = connect();
  auto at_second = connect_second();
  const std::string request = rcpt_request("192.0.2.80", "alice@example.org", "r@shared.example");
  align_to_second();
  const auto first = system_clock::now();
  ASSERT_EQ(at_first.ask(request), greylist_reply("shared.example"));
  sleep_until(first, 1100ms);
  ASSERT_TRUE(IsFirstPass(at_first.ask(rcpt_request("192.0.2.80", "alice@example.org", "r@shared.example"))));
  ASSERT_EQ(at_second.ask(request), kDunnoReply);  // cached at both now
  ASSERT_EQ(at_first.ask(request), kDunnoReply);

  const ProgramRun deleted = run_program({grayling_admin_binary(), store_option(), "delete", "--client-address",
                                          "192.0.2.80", "--sender", "alice@example.org", "--recipient",
                                          "r@shared.example"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.describe();
  EXPECT_EQ(at_second.ask(request), greylist_reply("shared.example"));
  EXPECT_EQ(at_first.ask(request), greylist_reply("shared.example"));
}

}  // namespace
}  // namespace grayling::test

namespace grayling::test {
namespace {

// A database as grayling 0.1.0 wrote it (schema 1: rows by digest alone, tests/data) is
// migrated in place on the first start of this version: every row keeps its state, and
// rows get readable keys as the daemon writes them again.
TEST_F(AdminCommands, ADatabaseOfTheEarlierVersionIsMigratedInPlaceLosingNothing) {
  std::filesystem::create_directories(dbdir());
  const std::string database = dbdir() + "/grayling.db";
  // sqlite3, the shell (package sqlite3), found on PATH.
  auto sqlite3 = [&](const std::string& command) {
    return run_program({"/bin/sh", "-c", "exec sqlite3 \"$0\" \"$1\"", database, command});
  };
  const ProgramRun loaded = sqlite3(std::string(".read ") + GRAYLING_TEST_DATA + "/grayling-0.1.0-schema1.sql");
  ASSERT_EQ(loaded.exit_code, 0) << loaded.describe();
  // Its rows are from the day it was written: long windows keep them alive for this test.
  const std::vector<std::string> options{"--delay=1", "--max-age=36500", "--retry-window=36500"};
  auto daemon = start_tcp(options);
  EXPECT_EQ(sqlite3("PRAGMA user_version").out, "2\n");

  const ProgramRun before = run_admin({"list"}, options);
  ASSERT_EQ(before.exit_code, 0) << before.describe();
  EXPECT_EQ(std::count(before.out.begin(), before.out.end(), '\n'), 3) << before.out;  // header and two rows
  EXPECT_NE(before.out.find("passed   "), std::string::npos) << before.out;
  EXPECT_NE(before.out.find("(key unknown: written before grayling kept keys)"), std::string::npos) << before.out;

  auto client = connect();
  // The passed triplet passes; the pending one, long past its delay, passes for the first time.
  EXPECT_EQ(client.ask(rcpt_request("192.0.2.1", "alice@example.org", "bob@example.net")), kDunnoReply);
  EXPECT_TRUE(IsFirstPass(client.ask(rcpt_request("198.51.100.2", "carol@example.org", "bob@example.net"))));
  EXPECT_EQ(daemon->count_in_log("reason=new"), 0U) << daemon->log();

  const ProgramRun after = run_admin({"list", "--sender", "@example.org"}, options);
  EXPECT_NE(after.out.find("198.51.100.0/carol@example.org/bob@example.net"), std::string::npos) << after.out;
  const ProgramRun clients = run_admin({"list", "--clients"}, options);
  // 192.0.2.1's count from 0.1.0 (its key unknown until counted again), and carol's client.
  EXPECT_NE(clients.out.find("      1  counting     2026-12-02 11:48:27 UTC  (key unknown"), std::string::npos)
      << clients.out;
  EXPECT_NE(clients.out.find("  198.51.100.2\n"), std::string::npos) << clients.out;
}

}  // namespace
}  // namespace grayling::test

namespace grayling::test {
namespace {

// Under load a daemon on PostgreSQL chains its batches (each COMMIT carries the next
// BEGIN), and PostgreSQL delivers a notification only to a session outside a
// transaction: the daemon must still hear of a deletion before grayling-admin returns.
TEST_F(SharedPostgres, ADeletionReachesTheCacheOfADaemonUnderLoad) {
  auto daemon = start_first({"--delay=1"});
  auto client = connect();
  const std::string request = rcpt_request("192.0.2.90", "alice@example.org", "r@busy.example");
  align_to_second();
  const auto first = system_clock::now();
  ASSERT_EQ(client.ask(request), greylist_reply("busy.example"));
  sleep_until(first, 1100ms);
  ASSERT_TRUE(IsFirstPass(client.ask(rcpt_request("192.0.2.90", "alice@example.org", "r@busy.example"))));
  ASSERT_EQ(client.ask(request), kDunnoReply);  // cached

  // Sixteen clients send new triplets until told to stop (bounded either way): enough
  // that the next batch has always queued by the time one commits.
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0};
  std::vector<std::thread> load;
  for (int c = 0; c < 16; ++c) {
    load.emplace_back([&, c] {
      auto busy = connect();
      for (int i = 0; i < 50'000 && !stop; ++i) {
        const std::string host = "198.51." + std::to_string(c) + "." + std::to_string(i % 250);
        if (!busy.ask(rcpt_request(host, "s" + std::to_string(i) + "@load.example", "r@busy.example"))) return;
        ++answered;
      }
    });
  }
  while (answered < 500) std::this_thread::sleep_for(10ms);
  const ProgramRun deleted = run_program({grayling_admin_binary(), store_option(), "delete", "--client-address",
                                          "192.0.2.90", "--sender", "alice@example.org", "--recipient",
                                          "r@busy.example"});
  const auto reply = client.ask(request);
  const int during = answered;
  stop = true;
  for (auto& thread : load) thread.join();
  ASSERT_EQ(deleted.exit_code, 0) << deleted.describe();
  EXPECT_EQ(reply, greylist_reply("busy.example")) << "passed from the cache after its deletion";
  EXPECT_GT(answered - during, 0) << "the load had stopped before the check";
}

}  // namespace
}  // namespace grayling::test
