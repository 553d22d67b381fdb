#include "grayling/core/request_parser.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace grayling {
namespace {

constexpr std::string_view kRequest =
    "request=smtpd_access_policy\n"
    "protocol_state=RCPT\n"
    "client_address=192.0.2.7\n"
    "sender=a@example.net\n"
    "recipient=b@example.org\n"
    "\n";

/// Feeds everything, collecting complete requests; stops at an error.
struct FeedResult {
  std::vector<PolicyRequest> requests;
  bool error = false;
  std::string message;
};

FeedResult feed_all(RequestParser& parser, std::string_view input) {
  FeedResult result;
  while (!input.empty()) {
    const auto step = parser.feed(input);
    input.remove_prefix(step.consumed);
    if (step.status == RequestParser::Status::error) {
      result.error = true;
      result.message = parser.error();
      return result;
    }
    if (step.status == RequestParser::Status::complete) result.requests.push_back(parser.take_request());
  }
  return result;
}

TEST(RequestParser, ParsesOneRequest) {
  RequestParser parser;
  const auto result = feed_all(parser, kRequest);
  ASSERT_FALSE(result.error);
  ASSERT_EQ(result.requests.size(), 1U);
  EXPECT_EQ(result.requests[0].value("client_address"), "192.0.2.7");
  EXPECT_EQ(result.requests[0].value("recipient"), "b@example.org");
  EXPECT_EQ(result.requests[0].size(), 5U);
}

TEST(RequestParser, StopsAfterEachRequestSoPipelinedOnesStaySeparate) {
  RequestParser parser;
  const std::string two = std::string(kRequest) + "request=smtpd_access_policy\nrecipient=c@example.org\n\n";
  const auto step = parser.feed(two);
  EXPECT_EQ(step.status, RequestParser::Status::complete);
  EXPECT_EQ(step.consumed, kRequest.size());
  const auto result = feed_all(parser, std::string_view(two).substr(step.consumed));
  ASSERT_EQ(result.requests.size(), 1U);
  EXPECT_EQ(result.requests[0].value("recipient"), "c@example.org");
}

TEST(RequestParser, AnySplitOfTheInputGivesTheSameRequests) {
  const std::string input = std::string(kRequest) + std::string(kRequest);
  for (std::size_t chunk = 1; chunk <= input.size(); ++chunk) {
    RequestParser parser;
    std::vector<PolicyRequest> requests;
    for (std::size_t at = 0; at < input.size(); at += chunk) {
      const auto result = feed_all(parser, std::string_view(input).substr(at, chunk));
      ASSERT_FALSE(result.error);
      requests.insert(requests.end(), result.requests.begin(), result.requests.end());
    }
    ASSERT_EQ(requests.size(), 2U) << "chunk size " << chunk;
    EXPECT_EQ(requests[1].value("sender"), "a@example.net");
  }
}

TEST(RequestParser, ToleratesCrlf) {
  RequestParser parser;
  const auto result = feed_all(parser, "request=smtpd_access_policy\r\nrecipient=b@example.org\r\n\r\n");
  ASSERT_EQ(result.requests.size(), 1U);
  EXPECT_EQ(result.requests[0].value("request"), "smtpd_access_policy");
  EXPECT_EQ(result.requests[0].value("recipient"), "b@example.org");
}

TEST(RequestParser, CrlfSplitBetweenCrAndLf) {
  RequestParser parser;
  auto result = feed_all(parser, "recipient=b@example.org\r");
  EXPECT_TRUE(result.requests.empty());
  result = feed_all(parser, "\n\r\n");
  ASSERT_EQ(result.requests.size(), 1U);
  EXPECT_EQ(result.requests[0].value("recipient"), "b@example.org");
}

TEST(RequestParser, SplitsOnTheFirstEqualsSign) {
  RequestParser parser;
  const auto result = feed_all(parser, "ccert_subject=CN=mx,O=Example\nempty=\n\n");
  ASSERT_EQ(result.requests.size(), 1U);
  EXPECT_EQ(result.requests[0].value("ccert_subject"), "CN=mx,O=Example");
  EXPECT_TRUE(result.requests[0].has("empty"));
  EXPECT_EQ(result.requests[0].value("empty"), "");
}

TEST(RequestParser, DuplicateNameKeepsTheLastValue) {
  RequestParser parser;
  const auto result = feed_all(parser, "sender=first@x\nsender=second@x\n\n");
  ASSERT_EQ(result.requests.size(), 1U);
  EXPECT_EQ(result.requests[0].value("sender"), "second@x");
  EXPECT_EQ(result.requests[0].size(), 1U);
}

TEST(RequestParser, GarbageLinesAreReportedAndIgnored) {
  RequestParser parser;
  const auto step = parser.feed("this is not an attribute\n=novalue\nrecipient=b@x\n\n");
  ASSERT_EQ(step.status, RequestParser::Status::complete);
  ASSERT_EQ(parser.garbage().size(), 2U);
  EXPECT_EQ(parser.garbage()[0], "this is not an attribute");
  const auto request = parser.take_request();
  EXPECT_EQ(request.value("recipient"), "b@x");
  EXPECT_TRUE(parser.garbage().empty());
}

TEST(RequestParser, GarbageSampleIsTruncated) {
  RequestParser parser;
  (void)parser.feed(std::string(300, 'g') + "\n\n");
  ASSERT_EQ(parser.garbage().size(), 1U);
  EXPECT_EQ(parser.garbage()[0].size(), 100U);
}

TEST(RequestParser, LeadingEmptyLinesAreNotRequests) {
  RequestParser parser;
  const auto result = feed_all(parser, "\n\n\r\nrecipient=b@x\n\n");
  ASSERT_EQ(result.requests.size(), 1U);
}

TEST(RequestParser, OverlongLineIsAnErrorEvenWithoutNewline) {
  RequestParser parser(ParserLimits{100, 1000, 10});
  const auto result = feed_all(parser, "name=" + std::string(200, 'x'));
  EXPECT_TRUE(result.error);
  EXPECT_NE(result.message.find("line longer than 100"), std::string::npos);
}

TEST(RequestParser, OverlongLineAcrossFeedsIsAnError) {
  RequestParser parser(ParserLimits{100, 1000, 10});
  EXPECT_FALSE(feed_all(parser, "name=" + std::string(60, 'x')).error);
  EXPECT_TRUE(feed_all(parser, std::string(60, 'x') + "\n").error);
}

TEST(RequestParser, LineAtTheLimitIsAccepted) {
  RequestParser parser(ParserLimits{100, 1000, 10});
  const auto result = feed_all(parser, "n=" + std::string(98, 'x') + "\n\n");
  EXPECT_FALSE(result.error);
  ASSERT_EQ(result.requests.size(), 1U);
}

TEST(RequestParser, OversizeRequestIsAnError) {
  RequestParser parser(ParserLimits{100, 500, 1000});
  std::string input;
  for (int i = 0; i < 20; ++i) input += "name" + std::to_string(i) + "=" + std::string(40, 'v') + "\n";
  const auto result = feed_all(parser, input);
  EXPECT_TRUE(result.error);
  EXPECT_NE(result.message.find("request larger than 500"), std::string::npos);
}

TEST(RequestParser, TooManyAttributesIsAnError) {
  RequestParser parser(ParserLimits{100, 100000, 5});
  std::string input;
  for (int i = 0; i < 6; ++i) input += "a" + std::to_string(i) + "=v\n";
  EXPECT_TRUE(feed_all(parser, input).error);
}

TEST(RequestParser, RepeatedNamesCountTowardsTheAttributeCap) {
  // Otherwise "a=1\n" repeated forever would never end a request.
  RequestParser parser(ParserLimits{100, 100000, 5});
  std::string input;
  for (int i = 0; i < 6; ++i) input += "a=v\n";
  EXPECT_TRUE(feed_all(parser, input).error);
}

// Bytes of every value, none of them an empty line: nothing ever completes, so the parser
// must end it with an error once a request's worth has arrived, keeping no more than that.
TEST(RequestParser, BinaryGarbageEndsInAnErrorWithinTheRequestLimit) {
  const ParserLimits limits;
  RequestParser parser(limits);
  std::string input;
  for (std::size_t i = 0; input.size() < 4 * limits.max_request_bytes; ++i) {
    input.push_back(static_cast<char>((i * 37) % 256));  // 37 is odd: one '\n' in each 256
  }
  std::size_t consumed = 0;
  RequestParser::Step step{RequestParser::Status::need_more, 0};
  while (consumed < input.size()) {
    step = parser.feed(std::string_view(input).substr(consumed, 1000));  // as reads arrive
    consumed += step.consumed;
    if (step.status != RequestParser::Status::need_more) break;
    // What it keeps is bounded all along: the samples of non-attribute lines, 100 bytes each.
    ASSERT_LE(parser.garbage().size(), limits.max_request_bytes / 2);
    for (const auto& line : parser.garbage()) ASSERT_LE(line.size(), 100U);
  }
  ASSERT_EQ(step.status, RequestParser::Status::error);
  EXPECT_LE(consumed, limits.max_request_bytes + limits.max_line_bytes + 1);
  EXPECT_EQ(parser.error(), fmt::format("request larger than {} bytes", limits.max_request_bytes));
}

// Garbage with empty lines in it completes "requests"; each is bounded by the limits.
TEST(RequestParser, BinaryGarbageWithEmptyLinesGivesBoundedRequestsOrAnError) {
  const ParserLimits limits;
  RequestParser parser(limits);
  std::string input;
  std::uint32_t state = 12345;
  for (int i = 0; i < 200000; ++i) {
    state = state * 1103515245U + 12345U;  // a fixed pseudo-random sequence
    const auto byte = static_cast<char>(state >> 24);
    input.push_back(byte);
    if (byte == '\x07') input += "\n\n";  // now and then an end of request
  }
  std::string_view rest(input);
  int completed = 0;
  while (!rest.empty()) {
    const auto step = parser.feed(rest);
    rest.remove_prefix(step.consumed);
    if (step.status == RequestParser::Status::error) break;
    if (step.status == RequestParser::Status::complete) {
      EXPECT_LE(parser.take_request().size(), limits.max_attributes);
      ++completed;
    }
  }
  EXPECT_GT(completed, 0);
}

}  // namespace
}  // namespace grayling

namespace grayling {
namespace {

TEST(RequestParser, CrOfCrlfDoesNotCountTowardsTheLineLimit) {
  const std::string body = "n=" + std::string(98, 'x');  // exactly 100 bytes
  for (const std::string& ending : {std::string("\n"), std::string("\r\n")}) {
    RequestParser parser(ParserLimits{100, 1000, 10});
    const auto result = feed_all(parser, body + ending + ending);
    EXPECT_FALSE(result.error) << "ending size " << ending.size();
    ASSERT_EQ(result.requests.size(), 1U);
  }
  RequestParser split(ParserLimits{100, 1000, 10});
  EXPECT_FALSE(feed_all(split, body + "\r").error);  // CR arrives before its LF
  EXPECT_EQ(feed_all(split, "\n\n").requests.size(), 1U);
}

}  // namespace
}  // namespace grayling
