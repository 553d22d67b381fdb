#include "grayling/core/triplet_key.hpp"

#include <vector>

namespace grayling {

namespace {

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// postgrey's BATV test: a tag starts with ten characters from [0-9a-z].
bool looks_like_batv_tag(std::string_view part) {
  if (part.size() < 10) return false;
  for (char c : part.substr(0, 10)) {
    if (!is_digit(c) && !(c >= 'a' && c <= 'z')) return false;
  }
  return true;
}

// "prvs=TAG=user" or "prvs=user=TAG" -> "user"; anything else unchanged.
std::string_view strip_batv(std::string_view local) {
  if (!local.starts_with("prvs=")) return local;
  const auto parts = split(local, '=');
  if (parts.size() != 3) return local;
  const bool second_is_tag = looks_like_batv_tag(parts[1]);
  const bool third_is_tag = looks_like_batv_tag(parts[2]);
  if (third_is_tag && !second_is_tag) return parts[1];
  return parts[2];
}

// Perl's s/\b\d+\b/#/g: a maximal digit run with no word character on either side.
std::string hash_digit_runs(std::string_view local) {
  std::string out;
  out.reserve(local.size());
  std::size_t i = 0;
  while (i < local.size()) {
    if (!is_digit(local[i])) {
      out.push_back(local[i++]);
      continue;
    }
    std::size_t end = i;
    while (end < local.size() && is_digit(local[end])) ++end;
    const bool bounded_before = i == 0 || !is_word_char(local[i - 1]);
    const bool bounded_after = end == local.size() || !is_word_char(local[end]);
    if (bounded_before && bounded_after) {
      out.push_back('#');
    } else {
      out.append(local.substr(i, end - i));
    }
    i = end;
  }
  return out;
}

bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/// A token of hex digits at `at` of `size`, bounded by non-word characters.
bool bounded(std::string_view text, std::size_t at, std::size_t size) {
  return (at == 0 || !is_word_char(text[at - 1])) && (at + size == text.size() || !is_word_char(text[at + size]));
}

/// The length of a UUID (8-4-4-4-12 hex digits) starting at `at`, or 0.
std::size_t uuid_at(std::string_view text, std::size_t at) {
  static constexpr std::size_t kGroups[] = {8, 4, 4, 4, 12};
  std::size_t i = at;
  for (std::size_t group = 0; group < std::size(kGroups); ++group) {
    if (group > 0) {
      if (i >= text.size() || text[i] != '-') return 0;
      ++i;
    }
    for (std::size_t n = 0; n < kGroups[group]; ++n, ++i) {
      if (i >= text.size() || !is_hex(text[i])) return 0;
    }
  }
  return i - at;
}

// Beyond postgrey: bulk senders that put a fresh bounce id into every attempt's sender
// ("bounce-3f2a9c7e1b@", "<16 hex>-<uuid>-000000@amazonses.com") would make each retry a
// new triplet. A word-bounded UUID, and a word-bounded hex run of 8 or more characters
// holding both a digit and a letter, become '#', as digit runs do. A run of digits alone
// is left to postgrey's rule, so every key postgrey builds stays exactly as it was.
std::string hash_hex_tokens(std::string_view local) {
  std::string out;
  out.reserve(local.size());
  std::size_t i = 0;
  while (i < local.size()) {
    const bool starts_word = i == 0 || !is_word_char(local[i - 1]);
    if (starts_word && is_hex(local[i])) {
      if (const std::size_t uuid = uuid_at(local, i); uuid > 0 && bounded(local, i, uuid)) {
        out.push_back('#');
        i += uuid;
        continue;
      }
      std::size_t end = i;
      bool digit = false;
      bool letter = false;
      while (end < local.size() && is_hex(local[end])) {
        (is_digit(local[end]) ? digit : letter) = true;
        ++end;
      }
      if (end - i >= 8 && digit && letter && bounded(local, i, end - i)) {
        out.push_back('#');
        i = end;
        continue;
      }
    }
    out.push_back(local[i++]);
  }
  return out;
}

// SRS0=HASH=TT=orig-domain=orig-local@forwarder and
// SRS1=HASH=first-forwarder==HASH=TT=orig-domain=orig-local@forwarder both carry the
// original sender in their last two fields; forwarders re-sign on every message, so the
// raw address would make each retry look new.
bool unwrap_srs(std::string_view local, std::string& out) {
  const bool srs0 = local.size() > 5 && (local.substr(0, 5) == "SRS0=" || local.substr(0, 5) == "srs0=" ||
                                         local.substr(0, 5) == "SRS0+" || local.substr(0, 5) == "SRS0-");
  const bool srs1 = local.size() > 5 && (local.substr(0, 5) == "SRS1=" || local.substr(0, 5) == "srs1=" ||
                                         local.substr(0, 5) == "SRS1+" || local.substr(0, 5) == "SRS1-");
  if (!srs0 && !srs1) return false;
  std::string_view rest = local.substr(5);
  if (srs1) {
    // Skip "HASH=first-forwarder=" up to the "=" that starts the embedded SRS0 part.
    const std::size_t embedded = rest.find("==");
    if (embedded == std::string_view::npos) return false;
    rest = rest.substr(embedded + 2);
  }
  // rest = HASH=TT=domain=local (local may itself contain '=')
  const auto fields = split(rest, '=');
  if (fields.size() < 4) return false;
  std::size_t offset = fields[0].size() + 1 + fields[1].size() + 1;
  const std::string_view domain = fields[2];
  const std::string_view original_local = rest.substr(offset + domain.size() + 1);
  if (domain.empty() || original_local.empty()) return false;
  out.assign(original_local);
  out.push_back('@');
  out.append(domain);
  return true;
}

}  // namespace

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string normalize_sender(std::string_view sender) {
  std::size_t at = sender.find('@');
  if (at == std::string_view::npos) return std::string(sender);

  std::string unwrapped;
  if (unwrap_srs(sender.substr(0, at), unwrapped)) {
    return normalize_sender(unwrapped);
  }

  std::string_view local = strip_batv(sender.substr(0, at));
  if (const std::size_t plus = local.find('+'); plus != std::string_view::npos) {
    local = local.substr(0, plus);
  }
  std::string result = hash_digit_runs(hash_hex_tokens(local));
  result.append(sender.substr(at));
  return result;
}

std::string client_key(const IpAddress& address, const KeyRules& rules) {
  // ::ffff:192.0.2.1 is keyed as 192.0.2.1, as Postfix usually sends it. (postgrey keys it
  // by its IPv6 /64, ::, which every such client shares.)
  const IpAddress client = address.unmapped();
  if (rules.lookup_by_host) {
    return client.to_expanded_string() + "/" + std::to_string(client.bit_count());
  }
  const int prefix = client.family == IpAddress::Family::v4 ? rules.ipv4_prefix : rules.ipv6_prefix;
  return client.masked(prefix).to_expanded_string();
}

std::string triplet_key(const IpAddress& client, std::string_view sender, std::string_view recipient,
                        const KeyRules& rules) {
  return triplet_key_with(client_key(client, rules), sender, recipient);
}

std::string spf_client_key(std::string_view domain) {
  while (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  return ascii_lower("spf:" + std::string(domain));
}

std::string triplet_key_with(std::string_view client_part, std::string_view sender, std::string_view recipient) {
  return join_triplet_key(client_part, normalize_sender(sender), recipient);
}

std::string join_triplet_key(std::string_view client_part, std::string_view normalized_sender,
                             std::string_view recipient) {
  std::string key(client_part);
  key.push_back('/');
  key.append(normalized_sender);
  key.push_back('/');
  key.append(recipient);
  return ascii_lower(key);
}

}  // namespace grayling
