// postgrey's databases read back through the real db_dump: Berkeley DB files made here
// with db_load (db-util), as postgrey's btrees. A damaged, truncated or foreign file, or a
// db_dump that fails, hangs or is missing, is a clear error naming the file, never a
// crash and never half a result. Skipped where db-util is not installed.
#include "grayling/admin/postgrey_reader.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "support/run_program.hpp"
#include "support/temp_dir.hpp"

namespace grayling {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

constexpr EpochSeconds kNow = 1700001000;

/// `name` as found on PATH, or empty.
std::string on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

PostgreyRules rules() {
  PostgreyRules rules;
  rules.now = kNow;
  return rules;
}

class PostgreyReader : public ::testing::Test {
 protected:
  void SetUp() override {
    db_load_ = on_path("db_load");
    if (db_load_.empty() || on_path("db_dump").empty())
      GTEST_SKIP() << "db_load and db_dump (db-util) are not installed";
  }

  /// Makes a Berkeley DB file from db_dump -p text (records already escaped).
  void load(const std::string& file, const std::string& dump_text) {
    const auto run = test::run_program({db_load_, file}, dump_text);
    ASSERT_EQ(run.exit_code, 0) << run.describe();
  }

  /// A btree of `records` (pairs of escaped key and value), as postgrey makes its files.
  void load_btree(const std::string& file, const std::vector<std::pair<std::string, std::string>>& records) {
    std::string text = "VERSION=3\nformat=print\ntype=btree\nHEADER=END\n";
    for (const auto& [key, value] : records) text += " " + key + "\n " + value + "\n";
    load(file, text + "DATA=END\n");
  }

  /// An error's message, or "no error".
  static std::string error_of(const fs::path& dbdir, const PostgreyReadOptions& options = {}) {
    try {
      (void)read_postgrey_dbdir(dbdir, rules(), options);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "no error";
  }

  /// A stand-in for db_dump: a shell script with `body`.
  static std::string fake_db_dump(const TempDir& dir, const std::string& body) {
    const std::string path = dir.file("fake_db_dump");
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    ::chmod(path.c_str(), 0755);
    return path;
  }

  std::string db_load_;
  TempDir dir_{"grayling-postgrey-"};
};

TEST_F(PostgreyReader, ReadsTripletsAndClients) {
  load_btree(dir_.file("postgrey.db"),
             {{"192.0.2.0/user@example.org/rcpt@example.net", "1700000000,1700000400"},
              {"198.51.100.0//b@example.net", "1700000020,1700000020"},
              {"192.0.2.0/j\\c3\\bcrgen@example.org/x@example.net", "1700000000,1700000100"}});
  load_btree(dir_.file("postgrey_clients.db"),
             {{"192.0.2.7", "1,1700000400"}, {"2001:DB8:0:0:0:0:0:1", "4,1700000500"}});
  const PostgreyState state = read_postgrey_dbdir(dir_.path(), rules());
  EXPECT_TRUE(state.malformed.empty());
  EXPECT_TRUE(state.skipped.empty());
  // A btree comes out in key order.
  EXPECT_EQ(state.triplets, (std::vector<PostgreyTriplet>{
                                {"192.0.2.0/j\xc3\xbcrgen@example.org/x@example.net", 1700000000, 1700000100},
                                {"192.0.2.0/user@example.org/rcpt@example.net", 1700000000, 1700000400},
                                {"198.51.100.0//b@example.net", 1700000020, 1700000020},
                            }));
  EXPECT_EQ(state.clients,
            (std::vector<PostgreyClient>{{"192.0.2.7", 1, 1700000400}, {"2001:DB8:0:0:0:0:0:1", 4, 1700000500}}));
}

TEST_F(PostgreyReader, ReadingChangesNothingInTheDirectory) {
  load_btree(dir_.file("postgrey.db"), {{"192.0.2.0/a@x/b@y", "1700000000,1700000400"}});
  const auto listing = [&] {
    std::set<std::pair<std::string, std::uintmax_t>> files;
    for (const auto& entry : fs::directory_iterator(dir_.path()))
      files.emplace(entry.path().filename(), entry.file_size());
    return files;
  };
  const auto before = listing();
  (void)read_postgrey_dbdir(dir_.path(), rules());
  EXPECT_EQ(listing(), before);
}

TEST_F(PostgreyReader, WithoutAnAutoWhitelistThereAreNoClients) {
  load_btree(dir_.file("postgrey.db"), {{"192.0.2.0/a@x/b@y", "1700000000,1700000400"}});
  const PostgreyState state = read_postgrey_dbdir(dir_.path(), rules());
  EXPECT_EQ(state.triplets.size(), 1u);
  EXPECT_TRUE(state.clients.empty());
}

TEST_F(PostgreyReader, ManyRecordsArriveWholeWithProgress) {
  constexpr int kCount = 30000;  // some MB of dump: many reads from the pipe
  std::string text = "VERSION=3\nformat=print\ntype=btree\nHEADER=END\n";
  for (int i = 0; i < kCount; ++i) {
    text += " 10." + std::to_string(i / 256 % 256) + "." + std::to_string(i % 256) + ".0/user" + std::to_string(i) +
            "@example.org/rcpt@example.net\n " + std::to_string(1700000000 + i % 500) + ",1700000600\n";
  }
  load(dir_.file("postgrey.db"), text + "DATA=END\n");
  std::size_t calls = 0;
  std::size_t last = 0;
  PostgreyReadOptions options;
  options.progress = [&](std::string_view file, std::size_t records) {
    EXPECT_NE(file.find("postgrey.db"), std::string_view::npos);
    EXPECT_GE(records, last);
    last = records;
    ++calls;
  };
  const PostgreyState state = read_postgrey_dbdir(dir_.path(), rules(), options);
  EXPECT_EQ(state.triplets.size(), static_cast<std::size_t>(kCount));
  EXPECT_EQ(last, static_cast<std::size_t>(kCount));
  EXPECT_GT(calls, 1u);
}

TEST_F(PostgreyReader, AMissingDirectoryOrDatabaseIsNamed) {
  EXPECT_EQ(error_of(dir_.path() / "nowhere"),
            (dir_.path() / "nowhere").string() + ": no such directory (postgrey's --dbdir)");
  EXPECT_EQ(error_of(dir_.path()),
            (dir_.path() / "postgrey.db").string() + ": no such file: is this postgrey's --dbdir?");
}

TEST_F(PostgreyReader, ATruncatedDatabaseIsAClearError) {
  std::vector<std::pair<std::string, std::string>> records;
  for (int i = 0; i < 5000; ++i)
    records.emplace_back("192.0.2.0/user" + std::to_string(i) + "@x/r@y", "1700000000,1700000400");
  load_btree(dir_.file("postgrey.db"), records);
  const fs::path file = dir_.path() / "postgrey.db";
  const auto size = fs::file_size(file);
  // Half, on a page boundary and off one: db_dump fails either way (sometimes silently,
  // after printing a header and DATA=END: its exit status is what tells).
  for (const auto cut : {size / 2, size / 2 + 100, std::uintmax_t{4096}, std::uintmax_t{100}}) {
    fs::copy_file(dir_.file("postgrey.db"), dir_.file("whole.db"), fs::copy_options::overwrite_existing);
    fs::resize_file(file, cut);
    const std::string message = error_of(dir_.path());
    EXPECT_EQ(message.rfind(file.string() + ": db_dump failed (exit 1)", 0), 0u) << cut << ": " << message;
    fs::copy_file(dir_.file("whole.db"), file, fs::copy_options::overwrite_existing);
  }
}

TEST_F(PostgreyReader, AGarbageOrEmptyFileIsAClearError) {
  const fs::path file = dir_.path() / "postgrey.db";
  {
    std::ofstream out(file, std::ios::binary);
    std::uint32_t x = 12345;
    for (int i = 0; i < 100000; ++i) {
      x = x * 1664525 + 1013904223;
      out.put(static_cast<char>(x >> 24));
    }
  }
  std::string message = error_of(dir_.path());
  EXPECT_EQ(message.rfind(file.string() + ": db_dump failed (exit 1): ", 0), 0u) << message;
  EXPECT_LT(message.size(), 1000u) << "db_dump repeats its complaint for every page; the message must not";

  fs::resize_file(file, 0);
  message = error_of(dir_.path());
  EXPECT_EQ(message.rfind(file.string() + ": db_dump failed (exit 1): ", 0), 0u) << message;
}

TEST_F(PostgreyReader, ADamagedClientsDatabaseIsNamed) {
  load_btree(dir_.file("postgrey.db"), {{"192.0.2.0/a@x/b@y", "1700000000,1700000400"}});
  std::ofstream(dir_.file("postgrey_clients.db")) << "not a database";
  const std::string message = error_of(dir_.path());
  EXPECT_EQ(message.rfind(dir_.file("postgrey_clients.db") + ": db_dump failed", 0), 0u) << message;
}

TEST_F(PostgreyReader, AFileWithSubDatabasesIsNotPostgreys) {
  load(dir_.file("postgrey.db"),
       "VERSION=3\nformat=print\ntype=btree\ndatabase=one\nHEADER=END\n a\n 1\nDATA=END\n"
       "VERSION=3\nformat=print\ntype=btree\ndatabase=two\nHEADER=END\n b\n 2\nDATA=END\n");
  EXPECT_EQ(error_of(dir_.path()), "postgrey.db: holds 2 databases; postgrey's holds one: not postgrey's file");
}

TEST_F(PostgreyReader, AMissingDbDumpSaysWhatToInstall) {
  load_btree(dir_.file("postgrey.db"), {});
  PostgreyReadOptions options;
  options.db_dump = "grayling-test-no-such-db_dump";
  EXPECT_EQ(error_of(dir_.path(), options),
            "cannot run grayling-test-no-such-db_dump: No such file or directory; install db-util (Berkeley DB's "
            "utilities)");
}

TEST_F(PostgreyReader, ADbDumpThatDiesHangsOrStopsShortIsAClearError) {
  load_btree(dir_.file("postgrey.db"), {});
  const std::string where = dir_.file("postgrey.db");
  TempDir bin("grayling-fake-");
  PostgreyReadOptions options;

  options.db_dump = fake_db_dump(bin, "echo VERSION=3; kill -SEGV $$");
  EXPECT_EQ(error_of(dir_.path(), options),
            where + ": db_dump was killed by signal 11 (Segmentation fault): the file is damaged");

  options.db_dump = fake_db_dump(bin, "printf 'VERSION=3\\nformat=print\\ntype=btree\\nHEADER=END\\n k\\n'");
  EXPECT_EQ(error_of(dir_.path(), options),
            where + ": db_dump's output: the dump stops at line 5, before DATA=END: it is truncated");

  options.db_dump = fake_db_dump(
      bin, "echo 'db_dump: BDB0001 something broke' >&2; echo 'db_dump: BDB0001 something broke' >&2; exit 3");
  EXPECT_EQ(error_of(dir_.path(), options), where + ": db_dump failed (exit 3): BDB0001 something broke");

  options.db_dump = fake_db_dump(bin, "echo VERSION=3; exec sleep 30");
  options.idle_timeout = std::chrono::milliseconds(300);
  const std::string message = error_of(dir_.path(), options);
  EXPECT_EQ(message.rfind(where + ": db_dump printed nothing for 300 ms and was stopped", 0), 0u) << message;
}

TEST_F(PostgreyReader, ARunningPostgreyIsSeenByItsLock) {
  EXPECT_FALSE(postgrey_running(dir_.path()));  // no lock file
  const int lock = ::open(dir_.file("postgrey.lock").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(lock, 0);
  EXPECT_FALSE(postgrey_running(dir_.path()));
  // postgrey's own lock: flock(LOCK_EX|LOCK_NB) on postgrey.lock for as long as it runs.
  ASSERT_EQ(::flock(lock, LOCK_EX | LOCK_NB), 0);
  EXPECT_TRUE(postgrey_running(dir_.path()));
  ::close(lock);
  EXPECT_FALSE(postgrey_running(dir_.path()));
}

}  // namespace
}  // namespace grayling
