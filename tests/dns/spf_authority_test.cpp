// SpfAuthority over a resolver the test answers by hand, with the test's clock: when the
// resolver keeps missing its timeout SPF is paused, and one probe after the pause decides
// whether it resumes, whichever way that probe's check ends.
#include "grayling/dns/spf_authority.hpp"

#include <gtest/gtest.h>

#include <map>
#include <utility>
#include <vector>

namespace grayling::dns {
namespace {

using namespace std::chrono_literals;
using Clock = DnsHealth::Clock;

/// Holds every question until the test answers it: from its zone, as a timeout, or never
/// (dropped, as a resolver being destroyed does).
class HeldResolver final : public Resolver {
 public:
  void add(const std::string& name, RecordType type, std::vector<std::string> records) {
    zone_[{name, type}] = Answer{Answer::Status::ok, std::move(records)};
  }
  void resolve(const std::string& name, RecordType type, Callback done) override {
    held_.push_back({name, type, std::move(done)});
  }
  /// Answers what is held, and what those answers lead to, until nothing is; returns how
  /// many questions were answered.
  int answer_all(bool time_out = false) {
    int answered = 0;
    while (!held_.empty()) {
      Held next = std::move(held_.front());
      held_.erase(held_.begin());
      ++answered;
      if (time_out) {
        next.done(Answer{Answer::Status::timeout, {}});
        continue;
      }
      const auto found = zone_.find({next.name, next.type});
      next.done(found != zone_.end() ? found->second : Answer{Answer::Status::nxdomain, {}});
    }
    return answered;
  }
  /// Forgets what is held without answering it.
  void drop() { held_.clear(); }
  [[nodiscard]] std::size_t held() const { return held_.size(); }

 private:
  struct Held {
    std::string name;
    RecordType type;
    Callback done;
  };
  std::map<std::pair<std::string, RecordType>, Answer> zone_;
  std::vector<Held> held_;
};

/// An authority over a HeldResolver, paused after 4 late answers of 10 for 30 s.
struct Fixture {
  Fixture() {
    resolver.add("pool.example", RecordType::txt, {"v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.0/24 -all"});
    SpfAuthoritySettings settings;
    settings.health = DnsHealth::Settings{.window = 10, .most_late = 3, .pause = 30s};
    settings.clock = [this] { return now; };
    authority = make_spf_authority(resolver, [this](const std::string& message) { warnings.push_back(message); },
                                   settings);
  }

  /// Asks about `sender` from `client`; the answer lands in `domains` (one slot per call).
  bool ask(const std::string& client, const std::string& sender, const std::string& helo = "mail.example.net") {
    const std::size_t slot = domains.size();
    domains.emplace_back(std::nullopt);
    called.push_back(false);
    return authority->authorised_domain(*IpAddress::parse(client), sender, helo,
                                        [this, slot](std::optional<std::string> domain) {
                                          called[slot] = true;
                                          domains[slot] = std::move(domain);
                                        });
  }

  /// Makes DNS miss its timeout until SPF pauses.
  void pause() {
    for (int i = 0; i < 4; ++i) {
      ASSERT_TRUE(ask("192.0.2.10", "a@pool.example"));
      resolver.answer_all(/*time_out=*/true);
    }
    ASSERT_FALSE(ask("192.0.2.10", "a@pool.example")) << "paused";
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings.back().find("not answering in time"), std::string::npos);
  }

  HeldResolver resolver;
  Clock::time_point now = Clock::time_point{} + 1000s;
  std::vector<std::string> warnings;
  std::vector<std::optional<std::string>> domains;
  std::vector<bool> called;
  std::unique_ptr<SenderAuthority> authority;
};

TEST(SpfAuthorityProbe, AfterAPauseTheDomainsServersCountAgain) {
  Fixture f;
  f.pause();
  f.now += 30s;
  ASSERT_TRUE(f.ask("198.51.100.20", "alice@pool.example")) << "the probe";
  EXPECT_FALSE(f.ask("198.51.100.21", "bob@pool.example")) << "one probe at a time";
  f.resolver.answer_all();
  EXPECT_EQ(f.domains[f.domains.size() - 2], "pool.example");
  EXPECT_NE(f.warnings.back().find("resumed"), std::string::npos);
  EXPECT_TRUE(f.ask("198.51.100.22", "carol@pool.example"));
}

// A check that needs no DNS (a sender or HELO name SPF cannot check) concludes at once: it
// is not the probe, so the next request that does ask probes, and SPF resumes.
TEST(SpfAuthorityProbe, ACheckThatAsksNoDnsDoesNotKeepTheProbe) {
  for (const auto& [sender, helo] : std::vector<std::pair<std::string, std::string>>{
           {"", "[192.0.2.1]"}, {"", "localhost"}, {"x@localhost", "mail.example.net"}}) {
    SCOPED_TRACE(sender + " / " + helo);
    Fixture f;
    f.pause();
    f.now += 30s;
    const std::size_t slot = f.domains.size();
    EXPECT_FALSE(f.ask("192.0.2.1", sender, helo)) << "nothing to ask DNS: keyed by network at once";
    EXPECT_FALSE(f.called[slot]) << "done must never run inside authorised_domain()";
    EXPECT_EQ(f.resolver.held(), 0u);
    if (!f.ask("198.51.100.20", "alice@pool.example")) {
      ADD_FAILURE() << "the probe is still to come, but the request was not let ask";
      continue;
    }
    f.resolver.answer_all();
    EXPECT_EQ(f.domains.back(), "pool.example");
    EXPECT_NE(f.warnings.back().find("resumed"), std::string::npos);
  }
}

// A probe whose questions are never answered (the resolver dropped them) ends when its
// check is gone: the next request probes.
TEST(SpfAuthorityProbe, ADroppedProbeEndsWithItsCheck) {
  Fixture f;
  f.pause();
  f.now += 30s;
  ASSERT_TRUE(f.ask("198.51.100.20", "alice@pool.example"));
  f.resolver.drop();
  ASSERT_TRUE(f.ask("198.51.100.21", "bob@pool.example")) << "the dropped probe still holds the probe";
  f.resolver.answer_all();
  EXPECT_EQ(f.domains.back(), "pool.example");
  EXPECT_NE(f.warnings.back().find("resumed"), std::string::npos);
}

// A probe that times out pauses again, for another whole pause.
TEST(SpfAuthorityProbe, AProbeThatTimesOutPausesAgain) {
  Fixture f;
  f.pause();
  f.now += 30s;
  ASSERT_TRUE(f.ask("198.51.100.20", "alice@pool.example"));
  f.now += 1s;
  f.resolver.answer_all(/*time_out=*/true);
  EXPECT_FALSE(f.domains.back());
  EXPECT_FALSE(f.ask("198.51.100.21", "bob@pool.example"));
  f.now += 29s;
  EXPECT_FALSE(f.ask("198.51.100.21", "bob@pool.example"));
  f.now += 1s;
  EXPECT_TRUE(f.ask("198.51.100.21", "bob@pool.example"));
}

}  // namespace
}  // namespace grayling::dns
