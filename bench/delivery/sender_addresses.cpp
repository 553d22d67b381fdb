#include "sender_addresses.hpp"

#include <fmt/format.h>

namespace delivery {

std::string hex_digits(Random& random, std::size_t count) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) out.push_back(kHex[random.below(16)]);
  return out;
}

std::string uuid(Random& random) {
  std::string version = hex_digits(random, 3);
  std::string variant = hex_digits(random, 3);
  static constexpr char kVariant[] = "89ab";
  return fmt::format("{}-{}-4{}-{}{}-{}", hex_digits(random, 8), hex_digits(random, 4), version,
                     kVariant[random.below(4)], variant, hex_digits(random, 12));
}

std::string ses_sender(Random& random) {
  // SES ids begin with a millisecond timestamp in hex: "0100018c…".
  return fmt::format("0100018c{}-{}-000000@amazonses.com", hex_digits(random, 8), uuid(random));
}

std::string bounce_sender(Random& random, std::string_view domain) {
  return fmt::format("bounce-{}@{}", hex_digits(random, 10), domain);
}

std::string mailchimp_sender(Random& random, std::string_view customer) {
  return fmt::format("bounce-mc.{}.{}-{}@mcsv.net", customer, random.between(1000000, 9999999), hex_digits(random, 10));
}

std::string verp_sender(std::string_view list, std::size_t subscriber, std::string_view domain) {
  return fmt::format("{}-bounces-{}@{}", list, subscriber, domain);
}

}  // namespace delivery
