// grayling-admin export and import against running daemons: a dump taken beside a daemon
// on SQLite, imported into PostgreSQL, lets a daemon there pass what the first one had
// greylisted; importing it twice changes nothing; a bad dump or a missing store is a
// clear error and a non-zero exit, with nothing written.
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

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::size_t lines_with(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) count += line.find(needle) != std::string::npos;
  return count;
}

ProgramRun admin(std::vector<std::string> args) {
  args.insert(args.begin(), grayling_admin_binary());
  return run_program(args);
}

class AdminTest : public DaemonTest {};
// With SPF on, the dump carries the daemon's spf: rows as they are.
class AdminTransfer : public SpfVariant {};
INSTANTIATE_TEST_SUITE_P(Spf, AdminTransfer, ::testing::Bool(), spf_variant_name);

TEST_P(AdminTransfer, ExportAndImportWorkBesideARunningDaemon) {
  auto daemon = start_tcp({"--delay=1"});
  auto client = connect();
  for (const char* host : {"192.0.2.1", "198.51.100.2", "203.0.113.3"}) {  // three networks: three triplets
    ASSERT_EQ(client.ask(rcpt_request(host, "s@example.net", "r@admin.example")), greylist_reply("admin.example"));
  }
  // The daemon holds its database's lock; the tool works beside it all the same.
  const std::string dump = dir_.file("dump.jsonl");
  const ProgramRun exported = admin({"--dbdir=" + dbdir(), "export", "--output=" + dump});
  ASSERT_EQ(exported.exit_code, 0) << exported.describe();
  EXPECT_NE(exported.err.find("exported 3 triplets and 0 auto-whitelisted clients from sqlite:"), std::string::npos)
      << exported.err;
  const std::string text = read_file(dump);
  EXPECT_EQ(text.rfind("{\"grayling_dump\":2,", 0), 0U) << text;
  EXPECT_EQ(lines_with(text, "\"triplet\":"), 3U) << text;
  EXPECT_EQ(lines_with(text, client_part("example.net", "192.0.2.0") + "/s@example.net/r@admin.example"), 1U) << text;

  // Importing what the store holds already changes nothing, and the daemon goes on.
  const ProgramRun imported = admin({"import", dump, "--dbdir=" + dbdir()});
  ASSERT_EQ(imported.exit_code, 0) << imported.describe();
  EXPECT_NE(imported.out.find("merged 3 triplets"), std::string::npos) << imported.out;
  EXPECT_EQ(client.ask(rcpt_request("192.0.4.4", "s@example.net", "r@admin.example")), greylist_reply("admin.example"));
  const ProgramRun again = admin({"--dbdir=" + dbdir(), "export"});
  ASSERT_EQ(again.exit_code, 0) << again.describe();
  EXPECT_EQ(lines_with(again.out, "\"triplet\":"), 4U) << again.out;
}

TEST_F(AdminTest, StatsDescribeTheStoreBesideTheRunningDaemon) {
  auto daemon = start_tcp({"--delay=1"});
  auto client = connect();
  const std::string pending = rcpt_request("192.0.2.1", "s@example.net", "r@stats.example");
  const std::string passed = rcpt_request("198.51.100.2", "s@example.net", "r@stats.example");
  align_to_second();
  const auto first = system_clock::now();
  ASSERT_EQ(client.ask(pending), greylist_reply("stats.example"));
  ASSERT_EQ(client.ask(passed), greylist_reply("stats.example"));
  sleep_until(first, 1100ms);
  ASSERT_TRUE(IsFirstPass(client.ask(passed)));  // and its client's first auto-whitelist count

  const ProgramRun json = admin({"--dbdir=" + dbdir(), "stats", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.describe();
  EXPECT_NE(json.out.find(R"("triplets":2,"passed":1,"pending":1,"clients":1,)"), std::string::npos) << json.out;
  EXPECT_NE(json.out.find(R"("due_for_expiry":0,)"), std::string::npos) << json.out;
  const ProgramRun text = admin({"stats", "--dbdir=" + dbdir()});
  ASSERT_EQ(text.exit_code, 0) << text.describe();
  EXPECT_NE(text.out.find("triplets        2 (1 passed, 1 pending)\n"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("oldest triplet  first seen "), std::string::npos) << text.out;
}

TEST_F(AdminTest, AStoreThatIsNotThereIsAnErrorNotANewDatabase) {
  const ProgramRun run = admin({"--dbdir=" + dir_.file("nothing"), "export"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("no database at"), std::string::npos) << run.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.file("nothing")));
  // An export that fails leaves no file behind, whole or partial.
  const ProgramRun failed = admin({"--dbdir=" + dir_.file("nothing"), "export", "-o", dir_.file("out.jsonl")});
  EXPECT_EQ(failed.exit_code, 1);
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    EXPECT_EQ(entry.path().filename().string().find("out.jsonl"), std::string::npos) << entry.path();
  }
  const ProgramRun unreadable = admin({"--dbdir=" + dbdir(), "import", dir_.file("no-such-dump")});
  EXPECT_EQ(unreadable.exit_code, 1);
  EXPECT_NE(unreadable.err.find("cannot read"), std::string::npos) << unreadable.err;
  const ProgramRun unknown = admin({"--dbdir=" + dbdir(), "frobnicate"});
  EXPECT_NE(unknown.exit_code, 0);
}

// export -o writes a file that holds clear addresses: 0600 whatever the umask, created
// under a name nobody can prepare (a link planted at the name an earlier version used,
// TARGET.tmp-PID, is not followed), and renamed over an existing file in one step.
TEST_F(AdminTest, ExportWritesAPrivateFileThroughANameNobodyCanPrepare) {
  auto daemon = start_tcp({"--delay=1"});
  auto client = connect();
  ASSERT_EQ(client.ask(rcpt_request("192.0.2.1", "s@example.net", "r@private.example")),
            greylist_reply("private.example"));
  const std::string target = dir_.file("greylist.jsonl");
  std::ofstream(target) << "the old dump\n";
  std::filesystem::create_hard_link(target, dir_.file("old-dump"));
  const std::string victim = dir_.file("victim");
  std::ofstream(victim) << "not to be touched\n";
  // The shell's pid is the tool's: exec keeps it.
  const ProgramRun exported =
      run_program({"/bin/sh", "-c", "umask 022; ln -s \"$1\" \"$2.tmp-$$\" || exit 99; shift 2; exec \"$@\"", "sh",
                   victim, target, grayling_admin_binary(), "--dbdir=" + dbdir(), "export", "-o", target});
  ASSERT_EQ(exported.exit_code, 0) << exported.describe();
  EXPECT_EQ(read_file(victim), "not to be touched\n") << "the planted link was followed";
  std::size_t planted = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    if (!entry.is_symlink()) continue;
    EXPECT_EQ(std::filesystem::read_symlink(entry.path()).string(), victim);
    std::filesystem::remove(entry.path());
    ++planted;
  }
  EXPECT_EQ(planted, 1U) << "the planted link was moved";
  ASSERT_FALSE(std::filesystem::is_symlink(target));
  const auto status = std::filesystem::status(target);
  EXPECT_EQ(status.permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_EQ(lines_with(read_file(target), "r@private.example"), 1U) << read_file(target);
  // Replaced by a rename, not rewritten in place: the old file's other name keeps it.
  EXPECT_EQ(read_file(dir_.file("old-dump")), "the old dump\n");

  // Clear errors, and nothing left behind: a missing directory, a directory as the target.
  const ProgramRun nowhere = run_admin({"export", "-o", dir_.file("no-such-dir/out.jsonl")});
  EXPECT_EQ(nowhere.exit_code, 1);
  EXPECT_NE(nowhere.err.find("cannot write " + dir_.file("no-such-dir/out.jsonl") + ": cannot create a file in " +
                             dir_.file("no-such-dir") + ": No such file or directory"),
            std::string::npos)
      << nowhere.err;
  const ProgramRun on_directory = run_admin({"export", "-o", dbdir()});
  EXPECT_EQ(on_directory.exit_code, 1);
  EXPECT_NE(on_directory.err.find("cannot write " + dbdir() + ": it is a directory"), std::string::npos)
      << on_directory.err;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << entry.path();
  }
  for (const auto& entry : std::filesystem::directory_iterator(dbdir())) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << entry.path();
  }
}

// The migration the README describes: an SQLite greylist moved into PostgreSQL while the
// old daemon still runs, so that no correspondent is greylisted again.
TEST_F(SharedPostgres, AnSqliteGreylistExportedAndImportedPassesAtADaemonOnPostgresql) {
  auto old_daemon = start_tcp({"--delay=1"});
  auto at_old = connect();
  const std::string pending = rcpt_request("192.0.2.91", "s@example.net", "r@moved.example");
  const std::string passed = rcpt_request("198.51.100.92", "s@example.net", "r@moved.example");
  align_to_second();
  const auto first = system_clock::now();
  ASSERT_EQ(at_old.ask(pending), greylist_reply("moved.example"));
  ASSERT_EQ(at_old.ask(passed), greylist_reply("moved.example"));
  sleep_until(first, 1100ms);
  ASSERT_TRUE(IsFirstPass(at_old.ask(passed), 1));

  const std::string dump = dir_.file("greylist.jsonl");
  const ProgramRun exported = admin({"--dbdir=" + dbdir(), "export", "-o", dump});
  ASSERT_EQ(exported.exit_code, 0) << exported.describe();
  for (int times = 0; times < 2; ++times) {  // the second import changes nothing
    const ProgramRun imported = admin({store_option(), "import", dump});
    ASSERT_EQ(imported.exit_code, 0) << imported.describe();
    EXPECT_NE(imported.out.find("merged 2 triplets"), std::string::npos) << imported.out;
    EXPECT_EQ(sql("SELECT count(*) FILTER (WHERE passed) || ' of ' || count(*) FROM grayling_triplets"), "1 of 2");
  }

  auto new_daemon = start_second({"--delay=1"});
  auto at_new = connect_second();
  const auto reply = at_new.ask(pending);
  EXPECT_TRUE(IsFirstPass(reply)) << "the pending triplet was greylisted again: " << reply.value_or("no reply");
  EXPECT_EQ(at_new.ask(passed), kDunnoReply);
  EXPECT_EQ(new_daemon->count_in_log("reason=new"), 0U);
}

TEST_F(SharedPostgres, ADumpWithABadLineImportsNothing) {
  const std::string good = dir_.file("good.jsonl");
  std::ofstream(good) << "{\"grayling_dump\":1}\n"
                      << "{\"client\":\"00000000000000ff\",\"count\":3,\"last_seen\":2}\n";
  const ProgramRun first = admin({store_option(), "import", good});
  ASSERT_EQ(first.exit_code, 0) << first.describe();

  const std::string dump = dir_.file("bad.jsonl");
  std::ofstream(dump) << "{\"grayling_dump\":1}\n"
                      << "{\"triplet\":\"0000000000000001\",\"first_seen\":1,\"last_seen\":2,\"passed\":true}\n"
                      << "{\"triplet\":\"0000000000000002\",\"first_seen\":1,\"last_seen\":2,\"passed\":\"yes\"}\n";
  const ProgramRun run = admin({store_option(), "import", dump});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find(dump + ":3: \"passed\" is not true or false"), std::string::npos) << run.err;
  EXPECT_EQ(sql("SELECT count(*) FROM grayling_triplets"), "0");
  EXPECT_EQ(sql("SELECT count(*) FROM grayling_clients"), "1");
}

}  // namespace
}  // namespace grayling::test
