// --log-format: JSON lines with the decision fields, and systemd journal priority prefixes
// when stderr is the journal; the text format stays postgrey's.
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "daemon_fixture.hpp"

namespace grayling::test {
namespace {

class LogFormats : public DaemonTest {};

// --log-format=json: one object per line, every decision line's fields plus time and level.
TEST_F(LogFormats, JsonLinesCarryTheDecisionFieldsTimeAndLevel) {
  auto daemon = start_tcp({"--log-format=json"});
  auto client = connect();
  ASSERT_EQ(client.ask(rcpt_request("192.0.2.1", "a@example.org", "r@json.example")), greylist_reply("json.example"));
  ASSERT_TRUE(daemon->wait_for_log(R"("action":"greylist")"));
  std::istringstream lines(daemon->log());
  bool decision = false;
  for (std::string line; std::getline(lines, line);) {
    EXPECT_EQ(line.front(), '{') << line;
    EXPECT_EQ(line.back(), '}') << line;
    EXPECT_NE(line.find(R"("time":")"), std::string::npos) << line;
    EXPECT_NE(line.find(R"("level":")"), std::string::npos) << line;
    if (line.find(R"("action":"greylist")") != std::string::npos) {
      decision = true;
      EXPECT_NE(line.find(R"("level":"info","action":"greylist","reason":"new","client_name":"mail.example.net",)"
                          R"("client_address":"192.0.2.1/32","sender":"a@example.org","recipient":"r@json.example"})"),
                std::string::npos)
          << line;
    }
  }
  EXPECT_TRUE(decision);
}

// With stderr going to the journal (JOURNAL_STREAM names it), each line starts with its
// syslog priority, so `journalctl -p warning` works; the text is postgrey's line as ever.
TEST_F(LogFormats, TheJournalGetsEachLinesPriority) {
  const std::string log = dir_.file("daemon-1.log");  // the first daemon's stderr (spawn())
  std::ofstream(log).close();
  struct stat info {};
  ASSERT_EQ(::stat(log.c_str(), &info), 0);
  std::vector<std::string> args = base_args();
  args.push_back("--inet=127.0.0.1:" + std::to_string(port()));
  auto daemon = spawn(args, {"JOURNAL_STREAM=" + std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino)});
  ASSERT_TRUE(daemon->wait_ready());
  auto client = connect();
  ASSERT_EQ(client.ask(rcpt_request("192.0.2.1", "a@example.org", "r@journal.example")),
            greylist_reply("journal.example"));
  ASSERT_TRUE(daemon->wait_for_log("action=greylist"));
  const std::string text = daemon->log();
  EXPECT_NE(text.find("<6>"), std::string::npos) << text;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_TRUE(line.rfind("<6>", 0) == 0 || line.rfind("<4>", 0) == 0 || line.rfind("<3>", 0) == 0) << line;
    if (line.find("action=greylist") != std::string::npos) {
      EXPECT_NE(line.find(" info: action=greylist, reason=new, client_name=mail.example.net, "
                          "client_address=192.0.2.1/32, sender=a@example.org, recipient=r@journal.example"),
                std::string::npos)
          << line;
    }
  }
}

}  // namespace
}  // namespace grayling::test
