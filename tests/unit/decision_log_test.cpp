#include "grayling/core/decision_log.hpp"

#include <gtest/gtest.h>

namespace grayling {
namespace {

PolicyRequest request_with(std::initializer_list<std::pair<const char*, const char*>> attributes) {
  PolicyRequest request;
  for (const auto& [name, value] : attributes) request.set(name, value);
  return request;
}

Decision decision(Decision::Outcome outcome, const char* reason, std::optional<std::int64_t> delay = {}) {
  Decision d;
  d.outcome = outcome;
  d.reason = reason;
  d.delay = delay;
  return d;
}

// --log-format=json: the same fields, as JSON members, escaped.
TEST(DecisionJson, TheLinesFieldsAsJsonMembers) {
  const auto request = request_with({{"client_name", "mail.example.net"},
                                     {"client_address", "2001:db8::7"},
                                     {"sender", "a\"b\\c@example.net"},
                                     {"recipient", "b@example.org"},
                                     {"queue_id", "4ABC"}});
  EXPECT_EQ(format_decision_json(request, decision(Decision::Outcome::pass, "triplet found", 301)),
            R"("queue_id":"4ABC","action":"pass","reason":"triplet found","delay":301,)"
            R"("client_name":"mail.example.net","client_address":"2001:db8::7/128",)"
            R"("sender":"a\"b\\c@example.net","recipient":"b@example.org")");
  std::string escaped;
  append_json_escaped(escaped, "tab\there\x01");
  EXPECT_EQ(escaped, "tab\\u0009here\\u0001");
}

TEST(DecisionLine, GreylistInPostgreysShape) {
  const auto request = request_with({{"client_name", "mail.example.net"},
                                     {"client_address", "192.0.2.7"},
                                     {"sender", "a@example.net"},
                                     {"recipient", "b@example.org"},
                                     {"queue_id", ""}});
  EXPECT_EQ(format_decision_line(request, decision(Decision::Outcome::greylist, "new")),
            "action=greylist, reason=new, client_name=mail.example.net, client_address=192.0.2.7/32, "
            "sender=a@example.net, recipient=b@example.org");
}

TEST(DecisionLine, PassWithDelayQueueIdAndIpv6) {
  const auto request = request_with({{"queue_id", "4XyZ1"},
                                     {"client_name", "unknown"},
                                     {"client_address", "2001:db8::5"},
                                     {"sender", "a@x"},
                                     {"recipient", "b@y"}});
  EXPECT_EQ(format_decision_line(request, decision(Decision::Outcome::pass, "triplet found", 301)),
            "4XyZ1: action=pass, reason=triplet found, delay=301, client_name=unknown, client_address=2001:db8::5/128, "
            "sender=a@x, recipient=b@y");
}

// An IPv4-mapped client_address is logged as the IPv4 client it is, as the key has it.
TEST(DecisionLine, MappedClientAddressIsLoggedAsIpv4) {
  const auto request = request_with({{"client_name", "x"}, {"client_address", "::ffff:192.0.2.7"}, {"sender", "a@x"},
                                     {"recipient", "b@y"}});
  EXPECT_EQ(format_decision_line(request, decision(Decision::Outcome::greylist, "new")),
            "action=greylist, reason=new, client_name=x, client_address=192.0.2.7/32, sender=a@x, recipient=b@y");
  EXPECT_EQ(format_decision_json(request, decision(Decision::Outcome::greylist, "new")),
            R"("action":"greylist","reason":"new","client_name":"x","client_address":"192.0.2.7/32",)"
            R"("sender":"a@x","recipient":"b@y")");
  EXPECT_EQ(logged_client_address("::FFFF:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(logged_client_address("2001:db8::5"), "2001:db8::5");
  EXPECT_EQ(logged_client_address("garbage:"), "garbage:");
}

TEST(DecisionLine, EmptyFieldsAreLeftOut) {
  const auto request = request_with({{"client_name", "x"}, {"client_address", "198.51.100.9"}, {"sender", ""},
                                     {"recipient", "z@c.example"}});
  EXPECT_EQ(format_decision_line(request, decision(Decision::Outcome::greylist, "new")),
            "action=greylist, reason=new, client_name=x, client_address=198.51.100.9/32, recipient=z@c.example");
}

}  // namespace
}  // namespace grayling
