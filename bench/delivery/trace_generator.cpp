// generate_trace(): the organisations with their own MTAs, the recipients, and the
// messages of every sender class (trace_providers.cpp adds the big senders).

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "addresses.hpp"
#include "sender_addresses.hpp"
#include "trace.hpp"
#include "trace_providers.hpp"

namespace delivery {

using grayling::IpAddress;
using grayling::IpNetwork;

namespace {

constexpr const char* kUsers[] = {"alice",  "bob",    "carol", "dave",   "erin",  "frank",  "grace", "heidi",
                                  "ivan",   "judy",   "mike",  "oscar",  "peggy", "rupert", "sybil", "trent",
                                  "victor", "walter", "info",  "office", "sales", "support"};
constexpr const char* kWords[] = {"acme",   "globex",  "initech", "umbrella", "hooli",     "vandelay", "wonka",
                                  "tyrell", "soylent", "oceanic", "aperture", "northwind", "fabrikam", "stark",
                                  "wayne",  "dunder",  "pied",    "gringott", "cyberdyne", "monarch"};
constexpr const char* kTlds[] = {"com", "de", "fr", "nl", "co.uk", "com.au", "org", "net", "ch", "it"};
// Hosting /16s where small organisations' servers live (none on the shipped whitelist).
constexpr const char* kHosting[] = {"185.12.0.0/16", "185.45.0.0/16", "46.4.0.0/16",  "78.46.0.0/16",
                                    "88.198.0.0/16", "91.121.0.0/16", "94.23.0.0/16", "136.243.0.0/16",
                                    "144.76.0.0/16", "151.80.0.0/16", "176.9.0.0/16", "195.201.0.0/16"};

constexpr std::size_t kRecipients = 400;
constexpr double kNullSenderShare = 0.04;    // delivery status notifications among own-MTA mail
constexpr double kCorrespondentShare = 0.7;  // messages between people who write each other often

template <typename T, std::size_t N>
const T& pick(const T (&items)[N], Random& random) {
  return items[random.below(N)];
}

/// A sending organisation or tenant: its domain, its people, and who writes to whom.
struct Organisation {
  std::string domain;
  std::vector<std::int32_t> servers;  // own MTAs only
  std::vector<std::string> users;
  std::vector<std::pair<std::string, std::size_t>> pairs;  // (sender, recipient index)
  std::int32_t pool = -1;                                  // gateway customers: their gateway
};

class TraceGenerator {
 public:
  TraceGenerator(const TraceOptions& options, Trace& trace)
      : options_(options), trace_(trace), random_(Random::of(options.seed, 0x7472616365)) {}

  void run() {
    trace_.start = options_.start;
    trace_.span = options_.span;
    providers_ = add_providers(trace_, random_);
    make_recipients();
    for (const SenderClass& kind : sender_classes()) add_messages(kind);
    // Arrival order makes a dump readable; replay does not depend on it.
    std::stable_sort(trace_.messages.begin(), trace_.messages.end(),
                     [](const Message& a, const Message& b) { return a.arrival < b.arrival; });
  }

 private:
  void make_recipients() {
    // Zipf-like: a few people get much of the mail, so triplets and clients repeat.
    double total = 0;
    for (std::size_t i = 0; i < kRecipients; ++i) {
      recipients_.push_back(fmt::format("user{:03}@example.net", i));
      total += 1.0 / std::pow(static_cast<double>(i + 1), 0.9);
      recipient_cdf_.push_back(total);
    }
    for (double& c : recipient_cdf_) c /= total;
  }

  std::size_t random_recipient() {
    const double u = random_.unit();
    const auto found = std::lower_bound(recipient_cdf_.begin(), recipient_cdf_.end(), u);
    return static_cast<std::size_t>(std::min<std::ptrdiff_t>(found - recipient_cdf_.begin(), kRecipients - 1));
  }

  std::string new_domain(std::string_view prefix = "") {
    return fmt::format("{}{}-{}.{}", prefix, pick(kWords, random_), ++domains_made_, pick(kTlds, random_));
  }

  Organisation new_organisation(std::string domain) {
    Organisation org;
    org.domain = std::move(domain);
    const auto people = random_.between(2, 6);
    for (std::int64_t i = 0; i < people; ++i)
      org.users.push_back(fmt::format("{}@{}", pick(kUsers, random_), org.domain));
    const auto pairs = random_.between(2, 8);
    for (std::int64_t i = 0; i < pairs; ++i) org.pairs.emplace_back(random_.pick(org.users), random_recipient());
    return org;
  }

  /// An own outbound server: an address at a hoster, sometimes IPv6 too, mostly with a name.
  std::int32_t new_server(const std::string& domain, int number, bool postfix) {
    Server server;
    server.v4 = random_address_in(random_subnet(network(pick(kHosting, random_)), 24, random_), random_);
    if (random_.chance(0.2)) {
      server.v6 = random_address_in(random_subnet(network("2a01:4f8::/32"), 64, random_), random_);
      server.either_family = postfix;
    }
    server.helo = number == 1 ? fmt::format("mail.{}", domain) : fmt::format("mx{}.{}", number, domain);
    if (random_.chance(0.9)) {
      trace_.dns.name_host(server.v4, server.helo);
      if (server.v6) trace_.dns.name_host(*server.v6, server.helo);
    }
    // The HELO name's own record ("v=spf1 a -all"), which SPF checks for the null sender.
    SpfRecord helo_record{SpfTerm::ip({server.v4, 32})};
    if (server.v6) helo_record.push_back(SpfTerm::ip({*server.v6, 128}));
    trace_.dns.set_spf(server.helo, std::move(helo_record));
    server.phase = static_cast<Seconds>(random_.below(3600));
    trace_.servers.push_back(std::move(server));
    return static_cast<std::int32_t>(trace_.servers.size() - 1);
  }

  /// The organisation's SPF record, in the shapes seen in the wild: mostly its servers'
  /// addresses; some by network, ptr or exists:%{i}; a few too broad to count (+all, a /8,
  /// exists without %{i}); some none.
  void publish_spf(const std::string& domain, const std::vector<std::int32_t>& servers) {
    std::vector<const Server*> own;
    for (const auto index : servers) own.push_back(&trace_.servers[static_cast<std::size_t>(index)]);
    SpfRecord record;
    const double shape = random_.unit();
    if (shape < 0.62) {
      for (const Server* s : own) {
        record.push_back(SpfTerm::ip({s->v4, 32}));
        if (s->v6) record.push_back(SpfTerm::ip({*s->v6, 128}));
      }
    } else if (shape < 0.72) {
      for (const Server* s : own) {
        record.push_back(SpfTerm::ip({s->v4.masked(24), 24}));
        if (s->v6) record.push_back(SpfTerm::ip({s->v6->masked(64), 64}));
      }
    } else if (shape < 0.77) {
      record.push_back(SpfTerm::ptr(domain));
    } else if (shape < 0.80) {
      std::vector<IpAddress> listed;
      for (const Server* s : own) {
        listed.push_back(s->v4);
        if (s->v6) listed.push_back(*s->v6);
      }
      record.push_back(SpfTerm::exists(true, std::move(listed)));
    } else if (shape < 0.83) {
      record.push_back(SpfTerm::all());
    } else if (shape < 0.86) {
      record.push_back(SpfTerm::ip({own.front()->v4.masked(8), 8}));
    } else if (shape < 0.88) {
      record.push_back(SpfTerm::exists(false, {}));
    } else {
      return;  // no SPF record
    }
    trace_.dns.set_spf(domain, std::move(record));
  }

  Organisation& own_mta_organisation(ClassId id, int count) {
    auto& orgs = organisations_[index_of(id)];
    if (orgs.empty()) {
      for (int i = 0; i < count; ++i) {
        Organisation org = new_organisation(new_domain());
        const int servers = random_.chance(0.2) ? 2 : 1;
        for (int s = 1; s <= servers; ++s) org.servers.push_back(new_server(org.domain, s, id == ClassId::postfix));
        publish_spf(org.domain, org.servers);
        orgs.push_back(std::move(org));
      }
    }
    return orgs[random_.below(orgs.size())];
  }

  Organisation& tenant(std::vector<Organisation>& tenants, int count, const std::string& include, std::int32_t pool) {
    if (tenants.empty()) {
      for (int i = 0; i < count; ++i) {
        Organisation org = new_organisation(new_domain());
        org.pool = pool;
        trace_.dns.set_spf(org.domain, {SpfTerm::include(include)});
        tenants.push_back(std::move(org));
      }
    }
    return tenants[random_.below(tenants.size())];
  }

  /// Someone of `org` writing to one of our users: mostly the usual correspondents.
  void correspondence(const Organisation& org, Message& message) {
    if (random_.chance(kCorrespondentShare)) {
      const auto& [sender, recipient] = org.pairs[random_.below(org.pairs.size())];
      message.sender = sender;
      message.recipient = recipients_[recipient];
    } else {
      message.sender = random_.pick(org.users);
      message.recipient = recipients_[random_recipient()];
    }
  }

  std::string spam_sender() {
    const double kind = random_.unit();
    const std::string local = fmt::format("{}{}", pick(kUsers, random_), random_.between(1, 9999));
    if (kind < 0.70) return fmt::format("{}@{}", local, new_domain("mail-"));
    if (kind < 0.85) {
      static constexpr const char* kForged[] = {"gmail.com", "yahoo.com", "outlook.com", "hotmail.com"};
      return fmt::format("{}@{}", local, pick(kForged, random_));
    }
    // Spam domains whose SPF passes everyone: +all, a /1, or exists without %{i}.
    std::string domain = new_domain("bulk-");
    const double shape = random_.unit();
    if (shape < 0.4) {
      trace_.dns.set_spf(domain, {SpfTerm::all()});
    } else if (shape < 0.8) {
      trace_.dns.set_spf(domain, {SpfTerm::ip(network("0.0.0.0/1")), SpfTerm::ip(network("128.0.0.0/1"))});
    } else {
      trace_.dns.set_spf(domain, {SpfTerm::exists(false, {})});
    }
    return fmt::format("{}@{}", local, domain);
  }

  void add_messages(const SenderClass& kind) {
    const bool spam = kind.category == Category::spam;
    const double scale =
        spam ? static_cast<double>(options_.spam) / 5000 : static_cast<double>(options_.legitimate) / 1200;
    const auto count = static_cast<std::size_t>(std::lround(kind.weight * scale));
    for (std::size_t i = 0; i < count; ++i) {
      Message message;
      message.sender_class = kind.id;
      message.arrival = options_.start + static_cast<Seconds>(random_.below(static_cast<std::uint64_t>(options_.span)));
      message.seed = random_.next();
      message.max_attempts = kind.max_attempts;
      fill(kind.id, message);
      trace_.messages.push_back(std::move(message));
    }
  }

  void fill(ClassId id, Message& message) {
    switch (id) {
      case ClassId::postfix:
      case ClassId::exim:
      case ClassId::sendmail:
      case ClassId::qmail: {
        static constexpr int kOrganisations[] = {40, 20, 8, 6};
        Organisation& org = own_mta_organisation(id, kOrganisations[index_of(id)]);
        message.server = org.servers[random_.below(org.servers.size())];
        correspondence(org, message);
        if (random_.chance(kNullSenderShare)) message.sender.clear();
        break;
      }
      case ClassId::verp_list: {
        static constexpr const char* kLists[] = {"announce", "users", "news", "devel"};
        auto& lists = organisations_[index_of(id)];
        if (lists.empty()) {
          for (const char* list : kLists) {
            Organisation org;
            org.domain = new_domain("lists.");
            org.users.push_back(list);
            org.servers.push_back(new_server(org.domain, 1, true));
            publish_spf(org.domain, org.servers);
            lists.push_back(std::move(org));
          }
        }
        const Organisation& list = lists[random_.below(lists.size())];
        const std::size_t subscriber = random_recipient();
        message.server = list.servers.front();
        message.sender = verp_sender(list.users.front(), subscriber, list.domain);
        message.recipient = recipients_[subscriber];
        break;
      }
      case ClassId::exchange_pool: {
        message.pool = providers_.exchange;
        if (random_.chance(0.2)) {  // consumers at outlook.com / hotmail.com
          static constexpr const char* kConsumer[] = {"outlook.com", "hotmail.com"};
          message.sender =
              fmt::format("{}.{}@{}", pick(kUsers, random_), pick(kWords, random_), pick(kConsumer, random_));
          message.recipient = recipients_[random_recipient()];
        } else {
          correspondence(tenant(tenants_, 60, providers_.exchange_spf, providers_.exchange), message);
        }
        break;
      }
      case ClassId::ses_like:
      case ClassId::fresh_ses_pool: {  // the same first message; how retries differ is the class's
        message.pool = providers_.ses;
        Random id_draw = Random::of(message.seed, 0, 3);
        message.sender = ses_sender(id_draw);
        message.recipient = recipients_[random_recipient()];
        break;
      }
      case ClassId::mailchimp_like: {
        if (mailchimp_customers_.empty()) {
          for (int i = 0; i < 20; ++i) {
            mailchimp_customers_.push_back(
                fmt::format("us{}_{}", random_.between(1, 21), random_.between(10000000, 99999999)));
          }
        }
        message.pool = providers_.mailchimp;
        message.sender = mailchimp_sender(random_, random_.pick(mailchimp_customers_));
        message.recipient = recipients_[random_recipient()];
        break;
      }
      case ClassId::gateway_pool: {
        if (gateway_customers_.empty()) {
          for (int i = 0; i < 30; ++i) {
            const std::size_t gateway = static_cast<std::size_t>(i) % providers_.gateways.size();
            Organisation org = new_organisation(new_domain());
            org.pool = providers_.gateways[gateway];
            trace_.dns.set_spf(org.domain, {SpfTerm::include(providers_.gateway_spf[gateway])});
            gateway_customers_.push_back(std::move(org));
          }
        }
        const Organisation& customer = gateway_customers_[random_.below(gateway_customers_.size())];
        message.pool = customer.pool;
        correspondence(customer, message);
        break;
      }
      case ClassId::fresh_own_mta: {
        Organisation& shop = own_mta_organisation(id, 5);
        message.server = shop.servers.front();
        Random id_draw = Random::of(message.seed, 0, 3);
        message.sender = bounce_sender(id_draw, shop.domain);
        message.recipient = recipients_[random_recipient()];
        break;
      }
      case ClassId::spam_no_retry:
      case ClassId::spam_quick_retry:
      case ClassId::spam_one_retry:
        message.pool = providers_.botnet;
        message.sender = spam_sender();
        message.recipient = recipients_[random_recipient()];
        if (id == ClassId::spam_quick_retry) message.max_attempts = static_cast<int>(random_.between(2, 5));
        break;
      case ClassId::spam_compromised: {
        static constexpr const char* kConsumer[] = {"outlook.com", "hotmail.com"};
        message.pool = providers_.exchange;
        message.sender =
            fmt::format("{}{}@{}", pick(kUsers, random_), random_.between(1, 999), pick(kConsumer, random_));
        message.recipient = recipients_[random_recipient()];
        message.max_attempts = random_.chance(0.5) ? 1 : 2;  // never retries, or once at once
        break;
      }
      case ClassId::spam_snowshoe:
        message.pool = providers_.hoster;
        message.sender = fmt::format("{}@{}", pick(kUsers, random_), random_.pick(providers_.snowshoe_domains));
        message.recipient = recipients_[random_recipient()];
        break;
    }
  }

  const TraceOptions& options_;
  Trace& trace_;
  Random random_;
  Providers providers_;
  std::vector<std::string> recipients_;
  std::vector<double> recipient_cdf_;
  std::array<std::vector<Organisation>, kClassCount> organisations_;
  std::vector<Organisation> tenants_;
  std::vector<Organisation> gateway_customers_;
  std::vector<std::string> mailchimp_customers_;
  int domains_made_ = 0;
};

}  // namespace

Trace generate_trace(const TraceOptions& options) {
  Trace trace;
  TraceGenerator(options, trace).run();
  return trace;
}

}  // namespace delivery
