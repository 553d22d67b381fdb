#include "grayling/core/policy_engine.hpp"

#include <fmt/format.h>

#include <array>
#include <ctime>

#include "grayling/core/ip_address.hpp"
#include "grayling/core/sha1.hpp"

namespace grayling {

namespace {

// postgrey replaces only the first occurrence of each placeholder; so do we.
void replace_first(std::string& text, std::string_view placeholder, std::string_view value) {
  if (const std::size_t at = text.find(placeholder); at != std::string::npos) {
    text.replace(at, placeholder.size(), value);
  }
}

/// %r of the greylist text: the recipient's domain, or (as postgrey) the whole recipient
/// when it has no '@'.
std::string_view domain_of(std::string_view address) {
  const std::size_t at = address.rfind('@');
  return at == std::string_view::npos ? address : address.substr(at + 1);
}

}  // namespace

std::variant<Decision, TripletLookup> PolicyEngine::screen(const PolicyRequest& request) const {
  const std::string_view type = request.value("request");
  if (type != "smtpd_access_policy") {
    return Decision::skip_because(fmt::format("unrecognized request type: '{}'", type), true);
  }
  // Only RCPT carries one recipient per request; in DATA/END-OF-MESSAGE the recipient is
  // empty whenever a message has several, and greylisting "net/sender/" would be wrong.
  const auto state = request.get("protocol_state");
  if (state && *state != "RCPT") {
    return Decision::skip_because(fmt::format("protocol_state={} is not greylisted", *state), false);
  }
  // postgrey's rule: a request without one of these is not greylisted (DUNNO and a
  // warning). Absent, not empty: sender= is the null sender, a normal request. Each is
  // looked up once: this runs for every request.
  constexpr std::array<const char*, 4> kRequired{"client_address", "client_name", "sender", "recipient"};
  std::array<std::string_view, kRequired.size()> values;
  for (std::size_t i = 0; i < kRequired.size(); ++i) {
    const auto found = request.get(kRequired[i]);
    if (!found) return Decision::skip_because(fmt::format("attribute missing: {}", kRequired[i]), true);
    values[i] = *found;
  }
  const auto [address_text, client_name, sender, recipient] = values;
  if (address_text.empty()) return Decision::skip_because("attribute empty: client_address", true);
  if (recipient.empty()) return Decision::skip_because("attribute empty: recipient", true);
  const auto client = IpAddress::parse(address_text);
  // Static whitelists first: they need no store, so whitelisted mail never waits on it.
  if (whitelists_.clients.matches(client_name, client)) return Decision::pass_because("client whitelist");
  if (whitelists_.recipients.matches(recipient)) return Decision::pass_because("recipient whitelist");
  if (!client) {
    return Decision::skip_because(fmt::format("unparseable client_address: '{}'", address_text), true);
  }

  TripletLookup found = lookup(*client, sender, recipient);
  found.has_etrn_domain = request.has("etrn_domain");
  return found;
}

TripletLookup PolicyEngine::lookup(const IpAddress& client, std::string_view sender, std::string_view recipient) const {
  TripletLookup found;
  found.key = protect(triplet_key(client, sender, recipient, settings_.keys));
  found.client_key = awl_key(client);
  found.recipient_domain = std::string(domain_of(recipient));
  return found;
}

TripletLookup PolicyEngine::lookup_authorised(const IpAddress& client, std::string_view domain,
                                              std::string_view sender, std::string_view recipient) const {
  TripletLookup found;
  found.key = protect(triplet_key_with(spf_client_key(domain), sender, recipient));
  found.network_key = protect(triplet_key(client, sender, recipient, settings_.keys));
  found.client_key = awl_key(client);
  found.recipient_domain = std::string(domain_of(recipient));
  return found;
}

std::string PolicyEngine::awl_key(const IpAddress& client) const {
  if (!awl_enabled()) return {};
  KeyRules subnet = settings_.keys;
  subnet.lookup_by_host = false;
  return protect(settings_.awl_by_prefix ? client_key(client, subnet) : client.unmapped().to_expanded_string());
}

std::string PolicyEngine::protect(std::string key) const {
  return settings_.privacy ? sha1_hex(key) : key;
}

void PolicyEngine::add_keys(const TripletLookup& lookup, RecordKeys& keys) {
  keys.triplets.push_back(lookup.key);
  if (!lookup.network_key.empty()) keys.triplets.push_back(lookup.network_key);
  if (!lookup.client_key.empty()) keys.clients.push_back(lookup.client_key);
}

Transition PolicyEngine::decide(const TripletLookup& lookup, const Records& records, EpochSeconds now) const {
  Transition transition;
  Decision& decision = transition.decision;
  const ClientRecord* client = awl_enabled() ? records.client(lookup.client_key) : nullptr;
  if (client && client->count >= settings_.auto_whitelist_clients && now - client->last_seen <= settings_.max_age) {
    // Trusted clients write no triplets; their count is refreshed (coarsely) as a statistic.
    if (now - client->last_seen >= settings_.awl_count_interval || client->last_seen > now) {
      transition.client = ClientRecord{client->count + 1, now};
    }
    decision = Decision::pass_because("client AWL");
    return transition;
  }

  std::optional<TripletRecord> stored;
  bool carried_over = false;  // found under the network key: written under the SPF key
  if (const TripletRecord* row = records.triplet(lookup.key)) {
    stored = *row;
  } else if (const TripletRecord* by_network = lookup.network_key.empty() ? nullptr : records.triplet(lookup.network_key)) {
    stored = *by_network;
    carried_over = true;
  }
  // A row past max-age that expiry has not reached yet is as good as gone.
  if (stored && now - stored->last_seen > settings_.max_age) stored.reset();

  TripletRecord record = stored.value_or(TripletRecord{now, now, false});
  bool dirty = !stored || carried_over;
  if (stored && !record.passed && now - record.first_seen > settings_.retry_window) {
    record.first_seen = now;  // the first retry came too late: start over
  }
  if (record.first_seen > now) record.first_seen = now;  // clock went backwards

  const std::int64_t waited = now - record.first_seen;
  const std::int64_t seconds_left = settings_.delay - waited;
  if (seconds_left > 0 && !record.passed) {
    decision.outcome = Decision::Outcome::greylist;
    decision.reason = waited == 0 ? std::string("new") : fmt::format("early-retry ({}s missing)", seconds_left);
    decision.action = greylist_reply(lookup, seconds_left);
    dirty = true;
  } else {
    decision.outcome = Decision::Outcome::pass;
    decision.reason = "triplet found";
    if (!record.passed) {
      decision.delay = waited;
      record.passed = true;
      dirty = true;
      if (awl_enabled()) decision.client_whitelisted = count_towards_awl(client, now, transition);
    }
    // Known good triplets are hit constantly; refreshing last_seen coarsely saves a write
    // per hit and keeps max-age expiry correct to within touch_interval.
    if (now - record.last_seen >= settings_.touch_interval) dirty = true;
  }
  if (stored && stored->first_seen != record.first_seen) dirty = true;
  if (dirty) {
    record.last_seen = now;
    transition.triplet = record;
  }
  if (decision.outcome == Decision::Outcome::pass) {
    // Until then a repeat needs no write, so it needs no store: see PassCache.
    decision.cache_until = record.last_seen + settings_.touch_interval;
  }
  return transition;
}

Decision PolicyEngine::decide_into(const TripletLookup& lookup, RecordBatch& batch, EpochSeconds now) const {
  Transition transition = decide(lookup, batch.records(), now);
  if (transition.triplet) batch.put_triplet(lookup.key, *transition.triplet);
  if (transition.client) batch.put_client(lookup.client_key, *transition.client);
  return std::move(transition.decision);
}

bool PolicyEngine::count_towards_awl(const ClientRecord* stored, EpochSeconds now, Transition& transition) const {
  if (stored && now - stored->last_seen > settings_.max_age) stored = nullptr;
  if (!stored) {
    transition.client = ClientRecord{1, now};
    return settings_.auto_whitelist_clients == 1;
  }
  // Many recipients of one message pass at once; count a client at most once per interval.
  if (now - stored->last_seen < settings_.awl_count_interval && stored->last_seen <= now) return false;
  transition.client = ClientRecord{stored->count + 1, now};
  return stored->count + 1 == settings_.auto_whitelist_clients;
}

std::string PolicyEngine::greylist_header(std::int64_t delay, EpochSeconds now) const {
  char date[64] = "";
  const std::time_t seconds = now;
  std::tm local{};
  if (localtime_r(&seconds, &local)) std::strftime(date, sizeof date, "%a, %d %b %Y %T %Z", &local);
  std::string header = settings_.x_greylist_header;
  replace_first(header, "%t", std::to_string(delay));
  replace_first(header, "%v", settings_.version);
  replace_first(header, "%h", settings_.hostname);
  replace_first(header, "%d", date);
  return header;
}

ExpiryCutoffs PolicyEngine::expiry_cutoffs(EpochSeconds now) const {
  return {now - settings_.max_age, now - settings_.retry_window};
}

std::string PolicyEngine::greylist_reply(const TripletLookup& lookup, std::int64_t seconds_left) const {
  std::string text = settings_.greylist_text;
  replace_first(text, "%s", std::to_string(seconds_left));
  replace_first(text, "%r", lookup.recipient_domain);
  // postgrey's Exchange workaround: Postfix >= 2.3 always sends etrn_domain, and a text
  // without its own status code then gets 4.2.0 ("450 4.2.0 ... Greylisted").
  if (lookup.has_etrn_domain && (text.empty() || !(text[0] >= '0' && text[0] <= '9'))) {
    text.insert(0, "4.2.0 ");
  }
  return settings_.greylist_action + " " + text;
}

}  // namespace grayling
