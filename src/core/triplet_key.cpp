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
  std::string result = hash_digit_runs(local);
  result.append(sender.substr(at));
  return result;
}

std::string client_key(const IpAddress& client, const KeyRules& rules) {
  if (rules.lookup_by_host) {
    return client.to_expanded_string() + "/" + std::to_string(client.bit_count());
  }
  const int prefix = client.family == IpAddress::Family::v4 ? rules.ipv4_prefix : rules.ipv6_prefix;
  return client.masked(prefix).to_expanded_string();
}

std::string triplet_key(const IpAddress& client, std::string_view sender, std::string_view recipient,
                        const KeyRules& rules) {
  std::string key = client_key(client, rules);
  key.push_back('/');
  key.append(normalize_sender(sender));
  key.push_back('/');
  key.append(recipient);
  return ascii_lower(key);
}

}  // namespace grayling
