/// Triplet naming shared by grayling-bench and grayling-bulk-load (see names.hpp).

#include "names.hpp"

#include <charconv>

namespace bench {

namespace {

void append_number(std::string& out, std::uint64_t value) {
  char text[24];
  const auto result = std::to_chars(text, text + sizeof text, value);
  out.append(text, result.ptr);
}

std::uint64_t tag_seed(std::string_view tag) {
  std::uint64_t seed = 1469598103934665603ULL;  // FNV-1a
  for (const char c : tag) seed = (seed ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return seed;
}

constexpr char kKindLetter[] = {'n', 'k', 'w'};

}  // namespace

void append_letters(std::string& out, std::uint64_t value) {
  char text[16];
  int length = 0;
  ++value;  // bijective: 0 -> "a", 25 -> "z", 26 -> "aa"
  while (value > 0) {
    --value;
    text[length++] = static_cast<char>('a' + value % 26);
    value /= 26;
  }
  while (length > 0) out.push_back(text[--length]);
}

void make_triplet(Triplet& out, std::string_view tag, Kind kind, std::uint64_t index) {
  const auto kind_number = static_cast<std::uint64_t>(kind);
  const std::uint64_t hash = mix64(tag_seed(tag) ^ (index * 4 + kind_number));

  out.client_address.assign("10.");
  append_number(out.client_address, (hash >> 8) & 255);
  out.client_address.push_back('.');
  append_number(out.client_address, hash & 255);
  out.client_address.push_back('.');
  append_number(out.client_address, 1 + (hash >> 16) % 254);

  // Real-looking names: a few thousand sending hosts, under a handful of domains.
  out.client_name.assign("mx-");
  append_letters(out.client_name, (hash >> 24) % 5000);
  if (kind == Kind::whitelisted) {
    out.client_name.push_back('.');
    out.client_name.append(kWhitelistDomain);
  } else {
    out.client_name.append(".senders-");
    append_letters(out.client_name, (hash >> 40) % 20);
    out.client_name.append(".example.net");
  }

  // The sender makes the triplet unique: kind letter, index, tag.
  out.sender.assign(1, kKindLetter[kind_number]);
  append_letters(out.sender, index);
  out.sender.push_back('.');
  out.sender.append(tag);
  out.sender.append("@news-");
  append_letters(out.sender, index % 1000);
  out.sender.append(".example.net");

  out.recipient.assign("user-");
  append_letters(out.recipient, (hash >> 32) % 5000);
  out.recipient.append("@dom-");
  append_letters(out.recipient, index % 50);
  out.recipient.append(".example.org");
}

}  // namespace bench
