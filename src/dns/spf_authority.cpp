#include "grayling/dns/spf_authority.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <unordered_map>
#include <variant>

#include "grayling/dns/dns_health.hpp"
#include "grayling/spf/check.hpp"

namespace grayling::dns {

namespace {

// Real pools are narrower than these (Office 365's widest network is a /14, Google's a
// /16 and a /36); a pass through anything wider says nothing about the sender's servers.
constexpr int kNarrowestIpv4Prefix = 12;
constexpr int kNarrowestIpv6Prefix = 32;

RecordType record_type(spf::DnsType type) {
  switch (type) {
    case spf::DnsType::a: return RecordType::a;
    case spf::DnsType::aaaa: return RecordType::aaaa;
    case spf::DnsType::txt: return RecordType::txt;
    case spf::DnsType::mx: return RecordType::mx;
    case spf::DnsType::ptr: return RecordType::ptr;
  }
  return RecordType::txt;
}

spf::DnsAnswer spf_answer(Answer answer) {
  switch (answer.status) {
    case Answer::Status::ok:
      if (answer.records.empty()) return spf::DnsAnswer::of(spf::DnsAnswer::Status::no_data);
      return spf::DnsAnswer::with(std::move(answer.records));
    case Answer::Status::nxdomain: return spf::DnsAnswer::of(spf::DnsAnswer::Status::nxdomain);
    case Answer::Status::timeout: return spf::DnsAnswer::of(spf::DnsAnswer::Status::timeout);
    case Answer::Status::error: break;
  }
  return spf::DnsAnswer::of(spf::DnsAnswer::Status::error);
}

/// A name as libunbound reads it (presentation format): SPF macros can put any byte into
/// a label, so everything but letters, digits, '-', '_' and the dots between labels is
/// written \DDD.
std::string presentation(std::string_view name) {
  std::string text;
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '_' || c == '.') {
      text.push_back(c);
    } else {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\%03u", byte);
      text += escaped;
    }
  }
  return text;
}

/// The domain a check is about: the sender's, or the HELO name for the null sender.
std::string checked_domain(std::string_view sender, std::string_view helo) {
  std::string_view domain = helo;
  if (const std::size_t at = sender.rfind('@'); !sender.empty() && at != std::string_view::npos) {
    domain = sender.substr(at + 1);
  }
  std::string lower;
  for (const char c : domain) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  while (!lower.empty() && lower.back() == '.') lower.pop_back();
  return lower;
}

/// Domains found without an SPF record (result none), for a while: most mail from them
/// is asked about again and again (spam from made-up domains, in particular), and the
/// answer cannot change faster than DNS caches allow anyway. Bounded: when full, it
/// starts over.
class NoRecordCache {
 public:
  static constexpr std::size_t kCapacity = 100'000;
  static constexpr std::chrono::seconds kLifetime{300};

  [[nodiscard]] bool known(const std::string& domain, DnsHealth::Clock::time_point now) const {
    const auto found = until_.find(domain);
    return found != until_.end() && now < found->second;
  }
  void remember(const std::string& domain, DnsHealth::Clock::time_point now) {
    if (until_.size() >= kCapacity) until_.clear();
    until_[domain] = now + kLifetime;
  }

 private:
  std::unordered_map<std::string, DnsHealth::Clock::time_point> until_;
};

class SpfAuthority final : public SenderAuthority {
 public:
  SpfAuthority(Resolver& resolver, std::function<void(const std::string&)> warn, SpfAuthoritySettings settings)
      : resolver_(resolver), warn_(std::move(warn)), clock_(std::move(settings.clock)),
        health_(std::make_shared<DnsHealth>(settings.health)) {}

  bool authorised_domain(const IpAddress& client, std::string_view sender, std::string_view helo,
                         Done done) override {
    const auto now = clock_();
    if (no_record_.known(checked_domain(sender, helo), now)) return false;
    spf::Options options;
    options.explain = false;  // the explanation of a fail is not ours to give
    spf::Check check(client, sender, helo, options);
    auto first = check.step();
    // A check that needs no DNS (a sender or HELO name SPF cannot check: "[192.0.2.1]",
    // "localhost") has no record to pass by: the request keys by network at once. It must
    // not become the probe after a pause, which it would never end.
    if (!std::holds_alternative<std::vector<spf::DnsQuery>>(first)) return false;
    if (resolver_.busy() || !health_->may_ask(now)) return false;
    ProbeHold probe(health_, health_->probe());
    auto run = std::make_shared<Run>(std::move(check), std::move(done), std::move(probe));
    ask(run, std::get<std::vector<spf::DnsQuery>>(std::move(first)));
    return true;
  }

 private:
  /// The probe a run is, if it is one (DnsHealth::probe), until the run is done or dropped
  /// unanswered (the resolver gone), whichever way: then the probe ends, so that SPF can
  /// never stay paused because a probe was lost.
  class ProbeHold {
   public:
    ProbeHold(std::shared_ptr<DnsHealth> health, std::uint64_t probe)
        : health_(probe != 0 ? std::move(health) : nullptr), probe_(probe) {}
    ProbeHold(ProbeHold&& other) noexcept : health_(std::move(other.health_)), probe_(other.probe_) {}
    ProbeHold& operator=(ProbeHold&&) = delete;
    ~ProbeHold() { release(); }
    void release() {
      if (health_) health_->end_probe(probe_);
      health_.reset();
    }

   private:
    std::shared_ptr<DnsHealth> health_;  // shared: a dropped run may outlive the authority
    std::uint64_t probe_;
  };

  struct Run {
    Run(spf::Check c, Done d, ProbeHold p) : check(std::move(c)), done(std::move(d)), probe(std::move(p)) {}
    spf::Check check;
    Done done;
    ProbeHold probe;
    std::size_t outstanding = 0;
  };

  void advance(const std::shared_ptr<Run>& run) {
    auto step = run->check.step();
    if (auto* queries = std::get_if<std::vector<spf::DnsQuery>>(&step); queries && !queries->empty()) {
      ask(run, std::move(*queries));
      return;
    }
    run->probe.release();  // an answer judged it already, or the check is over all the same
    const auto* result = std::get_if<spf::Result>(&step);
    if (!result) {  // no queries and no result: cannot happen; never leave a request waiting
      run->done(std::nullopt);
      return;
    }
    if (result->code == spf::Code::none) no_record_.remember(checked_domain("", result->domain), clock_());
    run->done(names_the_senders_servers(*result) ? std::optional(result->domain) : std::nullopt);
  }

  /// Asks all of a step's questions at once (an mx mechanism's address lookups, say).
  void ask(const std::shared_ptr<Run>& run, std::vector<spf::DnsQuery> queries) {
    run->outstanding = queries.size();
    for (const auto& query : queries) {
      resolver_.resolve(presentation(query.name), record_type(query.type), [this, run, query](Answer answer) {
        const bool was_paused = health_->paused();
        health_->record(answer.status != Answer::Status::timeout, clock_());
        if (warn_ && health_->paused() != was_paused) {
          warn_(health_->paused() ? "SPF: the resolver is not answering in time; requests are keyed by network, "
                                    "and it is asked again in " + std::to_string(health_->settings().pause.count()) + " s"
                                  : "SPF: the resolver answers again; SPF equivalence resumed");
        }
        run->check.answer(query, spf_answer(std::move(answer)));
        if (--run->outstanding == 0) advance(run);
      });
    }
  }

  Resolver& resolver_;
  std::function<void(const std::string&)> warn_;
  std::function<DnsHealth::Clock::time_point()> clock_;
  std::shared_ptr<DnsHealth> health_;
  NoRecordCache no_record_;
};

}  // namespace

bool names_the_senders_servers(const spf::Result& result) {
  if (result.code != spf::Code::pass || !result.matched) return false;
  const spf::Matched& matched = *result.matched;
  // ptr and exists vouch by a name, and nothing in the check says for how many clients:
  // "ptr:co.uk" passes every client named under .co.uk, a wildcard under
  // "exists:%{i}.…" every address. So they count for no network, as all does not either.
  if (!matched.network) return false;
  const bool v4 = matched.network->address.family == IpAddress::Family::v4;
  const int narrowest = v4 ? kNarrowestIpv4Prefix : kNarrowestIpv6Prefix;
  // Each network narrow enough, and all of those on the way to it no more than one such
  // together: 4,096 /12s, each fine alone, are the whole of IPv4.
  const double most = std::ldexp(1.0, (v4 ? 32 : 128) - narrowest);
  return matched.network->prefix >= narrowest && matched.vouched_addresses <= most;
}

std::unique_ptr<SenderAuthority> make_spf_authority(Resolver& resolver, std::function<void(const std::string&)> warn,
                                                    SpfAuthoritySettings settings) {
  return std::make_unique<SpfAuthority>(resolver, std::move(warn), std::move(settings));
}

}  // namespace grayling::dns
