// The daemon's resolver (libunbound on an Asio event loop) against a real unbound serving
// a test zone on loopback (under example.: libunbound itself answers for test. and the
// other special-use names, RFC 6761, and for the documentation networks' reverse zones): answers of every type, a huge record, names that do not exist,
// a server that never answers (a timeout, in time), and more questions than it may have
// in flight at once. Callbacks always run on the loop, never inside resolve().
#include <utility>

#include <boost/asio.hpp>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>

#include "grayling/dns/unbound_resolver.hpp"
#include "support/dns_server.hpp"

namespace grayling::dns {
namespace {

using test::DnsServer;
using namespace std::chrono_literals;

#define SKIP_WITHOUT_UNBOUND()                                                              \
  do {                                                                                      \
    if (DnsServer::binary().empty()) {                                                      \
      if (DnsServer::required()) FAIL() << "GRAYLING_DNS_REQUIRED is set, but unbound is missing"; \
      GTEST_SKIP() << "unbound is not installed";                                           \
    }                                                                                       \
  } while (false)

const std::string kHugeText(3000, 'x');

std::vector<std::string> zone_records() {
  // 3,000 bytes of TXT in 12 strings of 250: more than fits a UDP answer without EDNS.
  std::string huge = "huge.grayling.example. 300 IN TXT";
  for (int i = 0; i < 12; ++i) huge += " \"" + std::string(250, 'x') + "\"";
  return {"a.grayling.example. 300 IN A 192.0.2.1",
          "a.grayling.example. 300 IN A 192.0.2.2",
          "a.grayling.example. 300 IN AAAA 2001:db8::1",
          "a.grayling.example. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 \" \"-all\"",
          "a.grayling.example. 300 IN MX 10 mx.a.grayling.example.",
          "4.3.2.1.in-addr.arpa. 300 IN PTR mail.a.grayling.example.",
          huge};
}

/// Runs the loop until `answer` is set, at most `limit`.
Answer await(boost::asio::io_context& io, std::optional<Answer>& answer, std::chrono::milliseconds limit = 10s) {
  io.restart();
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!answer && std::chrono::steady_clock::now() < until) io.run_for(20ms);
  if (!answer) ADD_FAILURE() << "no answer within " << limit.count() << " ms";
  return answer.value_or(Answer{});
}

Answer ask(boost::asio::io_context& io, Resolver& resolver, const std::string& name, RecordType type) {
  std::optional<Answer> answer;
  bool inside_call = true;
  resolver.resolve(name, type, [&](Answer a) {
    EXPECT_FALSE(inside_call) << "the callback ran inside resolve()";
    answer = std::move(a);
  });
  inside_call = false;
  return await(io, answer);
}

TEST(UnboundResolver, AnswersEveryTypeFromARealServer) {
  SKIP_WITHOUT_UNBOUND();
  DnsServer server({"grayling.example.", "3.2.1.in-addr.arpa."}, zone_records());
  boost::asio::io_context io;
  auto resolver = make_unbound_resolver(io, ResolverSettings{.servers = {server.address()}});

  Answer a = ask(io, *resolver, "a.grayling.example", RecordType::a);
  EXPECT_EQ(a.status, Answer::Status::ok) << server.log();
  std::sort(a.records.begin(), a.records.end());
  EXPECT_EQ(a.records, (std::vector<std::string>{"192.0.2.1", "192.0.2.2"}));
  EXPECT_EQ(ask(io, *resolver, "a.grayling.example", RecordType::aaaa).records, (std::vector<std::string>{"2001:db8:0:0:0:0:0:1"}));
  EXPECT_EQ(ask(io, *resolver, "a.grayling.example", RecordType::txt).records,
            (std::vector<std::string>{"v=spf1 ip4:192.0.2.0/24 -all"}));
  EXPECT_EQ(ask(io, *resolver, "a.grayling.example", RecordType::mx).records, (std::vector<std::string>{"mx.a.grayling.example"}));
  EXPECT_EQ(ask(io, *resolver, "4.3.2.1.in-addr.arpa", RecordType::ptr).records,
            (std::vector<std::string>{"mail.a.grayling.example"}));
  const Answer huge = ask(io, *resolver, "huge.grayling.example", RecordType::txt);
  EXPECT_EQ(huge.status, Answer::Status::ok);
  EXPECT_EQ(huge.records, (std::vector<std::string>{kHugeText}));

  const Answer missing = ask(io, *resolver, "nothing.grayling.example", RecordType::txt);
  EXPECT_EQ(missing.status, Answer::Status::nxdomain);
  const Answer no_data = ask(io, *resolver, "mx.a.grayling.example", RecordType::a);
  EXPECT_TRUE(no_data.status == Answer::Status::nxdomain || no_data.records.empty());
  const Answer other_type = ask(io, *resolver, "a.grayling.example", RecordType::ptr);
  EXPECT_EQ(other_type.status, Answer::Status::ok);
  EXPECT_TRUE(other_type.records.empty());
}

TEST(UnboundResolver, AServerThatNeverAnswersTimesOutInTime) {
  // A UDP socket that receives and never replies.
  const test::SilentDnsServer silent;
  boost::asio::io_context io;
  auto resolver = make_unbound_resolver(
      io, ResolverSettings{.servers = {silent.address()}, .timeout = 300ms});
  const auto start = std::chrono::steady_clock::now();
  const Answer answer = ask(io, *resolver, "slow.grayling.example", RecordType::txt);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(answer.status, Answer::Status::timeout);
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 2s);
}

TEST(UnboundResolver, QuestionsBeyondTheInFlightLimitWaitTheirTurn) {
  SKIP_WITHOUT_UNBOUND();
  DnsServer server({"grayling.example."}, zone_records());
  boost::asio::io_context io;
  auto resolver =
      make_unbound_resolver(io, ResolverSettings{.servers = {server.address()}, .max_in_flight = 2, .max_queued = 5});
  std::vector<std::optional<Answer>> answers(8);
  for (std::size_t i = 0; i < answers.size(); ++i) {
    resolver->resolve("a.grayling.example", RecordType::a, [&answers, i](Answer a) { answers[i] = std::move(a); });
  }
  io.restart();
  const auto until = std::chrono::steady_clock::now() + 10s;
  auto all = [&] { return std::all_of(answers.begin(), answers.end(), [](const auto& a) { return a.has_value(); }); };
  while (!all() && std::chrono::steady_clock::now() < until) io.run_for(20ms);
  ASSERT_TRUE(all());
  // Two in flight and five queued are answered; the eighth found the queue full.
  for (std::size_t i = 0; i < 7; ++i) EXPECT_EQ(answers[i]->status, Answer::Status::ok) << i;
  EXPECT_EQ(answers[7]->status, Answer::Status::error);
}

TEST(UnboundResolver, ServerAddressesAreCheckedAndWrittenAsUnboundWantsThem) {
  EXPECT_EQ(unbound_forwarder("192.0.2.53"), "192.0.2.53");
  EXPECT_EQ(unbound_forwarder("192.0.2.53:5353"), "192.0.2.53@5353");
  EXPECT_EQ(unbound_forwarder("[2001:db8::53]:53"), "2001:db8::53@53");
  EXPECT_EQ(unbound_forwarder("2001:db8::53"), "2001:db8::53");
  for (const char* bad : {"dns.example", "192.0.2.53:0", "192.0.2.53:99999", "[2001:db8::53", "192.0.2.53:x"}) {
    EXPECT_THROW((void)unbound_forwarder(bad), std::invalid_argument) << bad;
  }
}

}  // namespace
}  // namespace grayling::dns
