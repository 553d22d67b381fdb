#include "grayling/core/whitelist.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/temp_dir.hpp"

namespace grayling {
namespace {

struct ClientCase {
  const char* entry;
  const char* client_name;
  const char* address;
  bool expected;
};

class ClientGrammar : public ::testing::TestWithParam<ClientCase> {};

TEST_P(ClientGrammar, Matches) {
  ClientWhitelist list;
  ASSERT_FALSE(list.add(GetParam().entry)) << GetParam().entry;
  EXPECT_EQ(list.matches(GetParam().client_name, IpAddress::parse(GetParam().address)), GetParam().expected)
      << GetParam().entry << " vs " << GetParam().client_name << "[" << GetParam().address << "]";
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ClientGrammar,
    ::testing::Values(
        // host and domain suffixes, at a label boundary, case-insensitive
        ClientCase{"outlook.com", "outlook.com", "192.0.2.1", true},
        ClientCase{"outlook.com", "mail-db8.outbound.protection.outlook.com", "192.0.2.1", true},
        ClientCase{"outlook.com", "MAIL.Outlook.COM", "192.0.2.1", true},
        ClientCase{"Outlook.COM", "mail.outlook.com", "192.0.2.1", true},
        ClientCase{"outlook.com", "evil-outlook.com", "192.0.2.1", false},
        ClientCase{"outlook.com", "outlook.com.evil.example", "192.0.2.1", false},
        ClientCase{"mail.example.com", "example.com", "192.0.2.1", false},
        ClientCase{".example.com", "a.example.com", "192.0.2.1", true},
        // unknown (no forward-confirmed name) never matches a name entry
        ClientCase{"unknown", "unknown", "192.0.2.1", false},
        ClientCase{"/.*/", "unknown", "192.0.2.1", false},
        ClientCase{"/.*/", "", "192.0.2.1", false},
        // regexes: unanchored, case-insensitive, against the name only
        ClientCase{"/^mail\\d+\\.example\\.net$/", "mail42.example.net", "192.0.2.1", true},
        ClientCase{"/^mail\\d+\\.example\\.net$/", "MAIL42.EXAMPLE.NET", "192.0.2.1", true},
        ClientCase{"/^mail\\d+\\.example\\.net$/", "xmail42.example.net", "192.0.2.1", false},
        ClientCase{"/example/", "smtp.example.org", "192.0.2.1", true},
        ClientCase{"/192\\.0\\.2/", "unknown", "192.0.2.1", false},
        // IPv4 address, CIDR, three and two octets
        ClientCase{"192.0.2.7", "unknown", "192.0.2.7", true},
        ClientCase{"192.0.2.7", "unknown", "192.0.2.8", false},
        ClientCase{"192.0.2.0/25", "unknown", "192.0.2.127", true},
        ClientCase{"192.0.2.0/25", "unknown", "192.0.2.128", false},
        ClientCase{"192.0.2", "unknown", "192.0.2.255", true},
        ClientCase{"192.0.2", "unknown", "192.0.3.1", false},
        ClientCase{"192.0", "unknown", "192.0.77.1", true},  // /16 as documented (postgrey: /24)
        ClientCase{"192.0", "unknown", "192.1.0.1", false},
        ClientCase{"10.1.2.3/8", "unknown", "10.200.0.1", true},  // host bits are ignored
        // IPv6
        ClientCase{"2001:db8::/32", "unknown", "2001:db8:ffff::1", true},
        ClientCase{"2001:db8::/32", "unknown", "2001:db9::1", false},
        ClientCase{"2001:db8::25", "unknown", "2001:db8::25", true},
        ClientCase{"2001:db8::25", "unknown", "2001:db8::26", false},
        ClientCase{"192.0.2.0/24", "unknown", "2001:db8::1", false},
        // an IPv4-mapped client_address is its IPv4 address
        ClientCase{"192.0.2.0/24", "unknown", "::ffff:192.0.2.9", true},
        ClientCase{"192.0.2", "unknown", "::ffff:192.0.3.9", false},
        ClientCase{"2001:db8::/32", "unknown", "::ffff:192.0.2.9", false},
        // an unparseable address still lets name entries match
        ClientCase{"example.com", "mx.example.com", "garbage", true}));

TEST(ClientGrammar, BadEntriesAreRejectedWithAReason) {
  ClientWhitelist list;
  for (const char* bad : {"/unclosed(/", "1.2.3.4/40", "300.1.1.1", "1.2.3/8", "2001:db8::/200", "gggg::1",
                          "a b", "user@example.com"}) {
    EXPECT_TRUE(list.add(bad)) << bad;
  }
  EXPECT_EQ(list.size(), 0U);
}

struct RecipientCase {
  const char* entry;
  const char* recipient;
  bool expected;
};

class RecipientGrammar : public ::testing::TestWithParam<RecipientCase> {};

TEST_P(RecipientGrammar, Matches) {
  RecipientWhitelist list;
  ASSERT_FALSE(list.add(GetParam().entry)) << GetParam().entry;
  EXPECT_EQ(list.matches(GetParam().recipient), GetParam().expected)
      << GetParam().entry << " vs " << GetParam().recipient;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RecipientGrammar,
    ::testing::Values(RecipientCase{"postmaster@", "postmaster@example.org", true},
                      RecipientCase{"postmaster@", "Postmaster@Example.ORG", true},
                      RecipientCase{"postmaster@", "postmaster+x@other.example", true},
                      RecipientCase{"postmaster@", "postmasterx@example.org", false},
                      RecipientCase{"postmaster@", "xpostmaster@example.org", false},
                      RecipientCase{"abuse@example.org", "abuse@example.org", true},
                      RecipientCase{"abuse@example.org", "abuse+tag@example.org", true},
                      RecipientCase{"abuse@example.org", "abuse@sub.example.org", false},
                      RecipientCase{"abuse@example.org", "abuse@example.net", false},
                      RecipientCase{"example.org", "anyone@example.org", true},
                      RecipientCase{"example.org", "anyone@mail.example.org", true},
                      RecipientCase{"example.org", "anyone@badexample.org", false},
                      RecipientCase{"example.org", "example.org@other.net", false},
                      RecipientCase{"/^info-.*@example\\.org$/", "INFO-sales@example.org", true},
                      RecipientCase{"/^info-.*@example\\.org$/", "info@example.org", false}));

TEST(RecipientGrammar, BadEntries) {
  RecipientWhitelist list;
  for (const char* bad : {"@example.org", "a b@c", "/[/"}) EXPECT_TRUE(list.add(bad)) << bad;
}

TEST(WhitelistText, CommentsBlankLinesAndLineNumbers) {
  ClientWhitelist list;
  std::vector<WhitelistIssue> issues;
  add_whitelist_text(list,
                     "# a comment\n"
                     "\n"
                     "   example.com   # trailing comment\n"
                     "\t192.0.2.0/24\r\n"
                     "not a hostname\n"
                     "/bad(/\n"
                     "/^ok\\.example$/\n",
                     "wl", issues);
  EXPECT_EQ(list.size(), 3U);
  ASSERT_EQ(issues.size(), 2U);
  EXPECT_EQ(issues[0].describe(), "wl:5: doesn't look like a hostname: 'not a hostname'");
  EXPECT_EQ(issues[1].line, 6U);
  EXPECT_TRUE(list.matches("www.example.com", std::nullopt));
  EXPECT_TRUE(list.matches("unknown", IpAddress::parse("192.0.2.9")));
  EXPECT_TRUE(list.matches("ok.example", std::nullopt));
}

class WhitelistFiles : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = temp_.file(name);
    std::ofstream(path) << text;
    return path;
  }
  test::TempDir temp_;
  const std::string dir_ = temp_.path().string();
};

TEST_F(WhitelistFiles, LocalFileIsReadAlsoForNamedFiles) {
  const auto clients = write("clients", "example.com\n");
  write("clients.local", "example.net\n192.0.2.0/24\n");
  const auto recipients = write("recipients", "postmaster@\n");
  std::vector<WhitelistIssue> issues;
  const Whitelists lists = load_whitelists({clients}, {recipients}, issues);
  EXPECT_TRUE(issues.empty());
  EXPECT_EQ(lists.clients.size(), 3U);
  EXPECT_TRUE(lists.clients.matches("mx.example.net", std::nullopt));
  EXPECT_TRUE(lists.recipients.matches("postmaster@x.example"));
}

TEST_F(WhitelistFiles, MissingFileIsAnIssueMissingLocalIsNot) {
  std::vector<WhitelistIssue> issues;
  const auto present = write("present", "example.com\n");
  const Whitelists lists = load_whitelists({dir_ + "/absent", present}, {}, issues);
  ASSERT_EQ(issues.size(), 1U);
  EXPECT_NE(issues[0].describe().find("absent: cannot read: No such file"), std::string::npos)
      << issues[0].describe();
  EXPECT_TRUE(issues[0].unreadable);
  EXPECT_TRUE(issues[0].missing);
  EXPECT_EQ(lists.clients.size(), 1U);
  EXPECT_EQ(lists.files_read, (std::vector<std::string>{present}));
}

TEST_F(WhitelistFiles, AnUnreadableFileOrLocalIsAnIssueThatSaysWhy) {
  // A directory where a file should be fails to read as a permission problem would (root
  // reads every mode): the file exists, so it is unreadable, not missing.
  const auto clients = write("clients", "example.com\n");
  std::filesystem::create_directory(dir_ + "/clients.local");
  std::filesystem::create_directory(dir_ + "/recipients");
  std::vector<WhitelistIssue> issues;
  const Whitelists lists = load_whitelists({clients}, {dir_ + "/recipients"}, issues);
  ASSERT_EQ(issues.size(), 2U);
  for (const auto& issue : issues) {
    EXPECT_TRUE(issue.unreadable) << issue.describe();
    EXPECT_FALSE(issue.missing) << issue.describe();
    EXPECT_NE(issue.describe().find("Is a directory"), std::string::npos) << issue.describe();
  }
  EXPECT_EQ(issues[0].file, clients + ".local");
  EXPECT_EQ(lists.clients.size(), 1U);
}

TEST_F(WhitelistFiles, ShippedFilesLoadCleanly) {
  std::vector<WhitelistIssue> issues;
  const Whitelists lists = load_whitelists({GRAYLING_SOURCE_DIR "/etc/whitelist_clients"},
                                           {GRAYLING_SOURCE_DIR "/etc/whitelist_recipients"}, issues);
  for (const auto& issue : issues) ADD_FAILURE() << issue.describe();
  EXPECT_GT(lists.clients.size(), 50U);
  EXPECT_TRUE(lists.clients.matches("mail-yw1-f169.google.com", std::nullopt));
  EXPECT_TRUE(lists.clients.matches("mail-am6eur05on2100.outbound.protection.outlook.com", std::nullopt));
  EXPECT_TRUE(lists.clients.matches("a48-93.smtp-out.amazonses.com", std::nullopt));
  EXPECT_FALSE(lists.clients.matches("unknown", IpAddress::parse("192.0.2.1")));
  EXPECT_TRUE(lists.recipients.matches("postmaster@example.org"));
  EXPECT_TRUE(lists.recipients.matches("abuse@example.org"));
  EXPECT_FALSE(lists.recipients.matches("info@example.org"));
}

}  // namespace
}  // namespace grayling
