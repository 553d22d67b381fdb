#include "grayling/dns/spf_authority.hpp"

#include <cctype>
#include <cstdio>
#include <unordered_map>

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
  SpfAuthority(Resolver& resolver, std::function<void(const std::string&)> warn)
      : resolver_(resolver), warn_(std::move(warn)) {}

  bool authorised_domain(const IpAddress& client, std::string_view sender, std::string_view helo,
                         Done done) override {
    const auto now = DnsHealth::Clock::now();
    if (no_record_.known(checked_domain(sender, helo), now)) return false;
    if (resolver_.busy() || !health_.may_ask(now)) return false;
    spf::Options options;
    options.explain = false;  // the explanation of a fail is not ours to give
    advance(std::make_shared<Run>(spf::Check(client, sender, helo, options), std::move(done)));
    return true;
  }

 private:
  struct Run {
    Run(spf::Check c, Done d) : check(std::move(c)), done(std::move(d)) {}
    spf::Check check;
    Done done;
    std::size_t outstanding = 0;
  };

  void advance(const std::shared_ptr<Run>& run) {
    auto step = run->check.step();
    if (const auto* result = std::get_if<spf::Result>(&step)) {
      if (result->code == spf::Code::none) no_record_.remember(checked_domain("", result->domain), DnsHealth::Clock::now());
      run->done(names_the_senders_servers(*result) ? std::optional(result->domain) : std::nullopt);
      return;
    }
    const auto queries = std::get<std::vector<spf::DnsQuery>>(std::move(step));
    if (queries.empty()) {  // cannot happen; never leave a request waiting
      run->done(std::nullopt);
      return;
    }
    // All of a step's questions at once (an mx mechanism's address lookups, say).
    run->outstanding = queries.size();
    for (const auto& query : queries) {
      resolver_.resolve(presentation(query.name), record_type(query.type), [this, run, query](Answer answer) {
        const bool was_paused = health_.paused();
        health_.record(answer.status != Answer::Status::timeout, DnsHealth::Clock::now());
        if (warn_ && health_.paused() != was_paused) {
          warn_(health_.paused() ? "SPF: the resolver is not answering in time; requests are keyed by network, "
                                   "and it is asked again in 30 s"
                                 : "SPF: the resolver answers again; SPF equivalence resumed");
        }
        run->check.answer(query, spf_answer(std::move(answer)));
        if (--run->outstanding == 0) advance(run);
      });
    }
  }

  Resolver& resolver_;
  std::function<void(const std::string&)> warn_;
  DnsHealth health_;
  NoRecordCache no_record_;
};

}  // namespace

bool names_the_senders_servers(const spf::Result& result) {
  if (result.code != spf::Code::pass || !result.matched) return false;
  const spf::Matched& matched = *result.matched;
  switch (matched.mechanism) {
    case spf::MechanismKind::ptr:
      return true;  // the client's own verified name is under the domain
    case spf::MechanismKind::exists: {
      // "exists:%{i}._spf.example.net" asks about this client; "exists:example.net" is +all.
      std::string term;
      for (const char c : matched.term) term.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
      return term.find("%{i") != std::string::npos;
    }
    default:
      break;
  }
  if (!matched.network) return false;
  const int narrowest =
      matched.network->address.family == IpAddress::Family::v4 ? kNarrowestIpv4Prefix : kNarrowestIpv6Prefix;
  return matched.network->prefix >= narrowest;
}

std::unique_ptr<SenderAuthority> make_spf_authority(Resolver& resolver,
                                                    std::function<void(const std::string&)> warn) {
  return std::make_unique<SpfAuthority>(resolver, std::move(warn));
}

}  // namespace grayling::dns
