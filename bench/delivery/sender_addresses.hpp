#pragma once
/// Envelope senders as the trace's senders write them.

#include <cstddef>
#include <string>
#include <string_view>

#include "random.hpp"

namespace delivery {

/// `count` lower-case hex digits.
[[nodiscard]] std::string hex_digits(Random& random, std::size_t count);
/// A random (version 4) UUID, lower case.
[[nodiscard]] std::string uuid(Random& random);
/// Amazon SES's return path: "<16 hex>-<uuid>-000000@amazonses.com".
[[nodiscard]] std::string ses_sender(Random& random);
/// A bulk mailer's bounce address with a fresh id: "bounce-<10 hex>@<domain>".
[[nodiscard]] std::string bounce_sender(Random& random, std::string_view domain);
/// Mailchimp's return path: "bounce-mc.us<n>_<customer>.<campaign>-<hex id>@mcsv.net"; the
/// customer part ("us5_12345678") stays, the campaign and the id change per message.
[[nodiscard]] std::string mailchimp_sender(Random& random, std::string_view customer);
/// A list's VERP return path, the subscriber's number in it: "<list>-bounces-<n>@<domain>".
[[nodiscard]] std::string verp_sender(std::string_view list, std::size_t subscriber, std::string_view domain);

}  // namespace delivery
