#include "attempt.hpp"

#include "addresses.hpp"
#include "random.hpp"
#include "sender_addresses.hpp"

namespace delivery {

namespace {

// Separate streams of a message's draws, so adding one kind of draw moves no other.
constexpr std::uint64_t kAddressStream = 1;
constexpr std::uint64_t kFamilyStream = 2;
constexpr std::uint64_t kSenderStream = 3;

/// The domain of a fresh-sender own MTA's bounce address, from the first attempt's sender.
std::string_view domain_of(std::string_view sender) {
  const std::size_t at = sender.rfind('@');
  return at == std::string_view::npos ? std::string_view{} : sender.substr(at + 1);
}

}  // namespace

Attempt attempt_of(const Trace& trace, const Message& message, int n) {
  const SenderClass& kind = sender_class(message.sender_class);
  const auto attempt_number = static_cast<std::uint64_t>(n);
  Attempt attempt;
  if (message.server >= 0) {
    const Server& server = trace.servers[static_cast<std::size_t>(message.server)];
    attempt.client = server.v4;
    if (server.v6) {
      Random family = Random::of(message.seed, attempt_number, kFamilyStream);
      if (!server.either_family || family.chance(0.5)) attempt.client = *server.v6;
    }
    attempt.helo = server.helo;
  } else {
    const Pool& pool = trace.pools[static_cast<std::size_t>(message.pool)];
    // A pool sender takes any address on each attempt; a bot keeps its one address.
    Random where = Random::of(message.seed, kind.new_address_per_attempt ? attempt_number : 0, kAddressStream);
    attempt.client = random_address_in(where.pick(pool.networks), where);
    attempt.helo = pool.helo;
  }
  const auto name = trace.dns.verified_name(attempt.client);
  attempt.client_name = name.value_or("unknown");
  if (name && message.server < 0) attempt.helo = *name;

  attempt.sender = message.sender;
  if (n > 0 && kind.category == Category::fresh_sender) {
    Random id = Random::of(message.seed, attempt_number, kSenderStream);
    attempt.sender =
        message.sender_class == ClassId::fresh_ses_pool ? ses_sender(id) : bounce_sender(id, domain_of(message.sender));
  }
  return attempt;
}

grayling::PolicyRequest request_of(const Attempt& attempt, const Message& message) {
  grayling::PolicyRequest request;
  request.set("request", "smtpd_access_policy");
  request.set("protocol_state", "RCPT");
  request.set("protocol_name", "ESMTP");
  request.set("client_address", attempt.client.to_string());
  request.set("client_name", attempt.client_name);
  request.set("reverse_client_name", attempt.client_name);
  request.set("helo_name", attempt.helo);
  request.set("sender", attempt.sender);
  request.set("recipient", message.recipient);
  request.set("recipient_count", "0");
  return request;
}

}  // namespace delivery
