#include "grayling/core/whitelist.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <fcntl.h>
#include <unistd.h>

#include "grayling/core/triplet_key.hpp"

namespace grayling {

namespace {

bool has_whitespace(std::string_view text) {
  return text.find_first_of(" \t\r\v\f") != std::string_view::npos;
}

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::vector<std::string_view> split_dots(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = text.find('.', start);
    parts.push_back(text.substr(start, dot - start));
    if (dot == std::string_view::npos) return parts;
    start = dot + 1;
  }
}

/// "/body/" with a non-empty body and no whitespace: a regex entry.
bool is_regex_entry(std::string_view entry) {
  return entry.size() >= 3 && entry.front() == '/' && entry.back() == '/';
}

using Regexes = std::vector<std::pair<std::shared_ptr<const Regex>, std::size_t>>;

/// Compiles "/body/"; `source` is the index the entry gets once it compiled.
std::optional<std::string> compile_into(Regexes& regexes, std::string_view entry,
                                        const std::function<std::size_t()>& source) {
  std::string error;
  auto regex = Regex::compile(entry.substr(1, entry.size() - 2), error);
  if (!regex) return fmt::format("bad regular expression {}: {}", entry, error);
  regexes.emplace_back(std::move(regex), source());
  return std::nullopt;
}

/// The source index of `name` or of its nearest parent domain in `map` ("a.b.example.com"
/// tries "a.b.example.com", "b.example.com", "example.com", "com").
std::optional<std::size_t> suffix_in(const StringMap<std::size_t>& map, std::string_view name) {
  if (map.empty()) return std::nullopt;
  std::size_t start = 0;
  while (start < name.size()) {
    if (auto found = map.find(name.substr(start)); found != map.end()) return found->second;
    const std::size_t dot = name.find('.', start);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return std::nullopt;
}

std::optional<std::size_t> find_in(const StringMap<std::size_t>& map, std::string_view key) {
  const auto found = map.find(key);
  return found == map.end() ? std::nullopt : std::optional(found->second);
}

/// Keeps the first source of a key written twice; returns nothing, as add() succeeded.
std::nullopt_t insert_first(StringMap<std::size_t>& map, std::string key, std::size_t source) {
  map.emplace(std::move(key), source);
  return std::nullopt;
}

}  // namespace

std::string WhitelistIssue::describe() const {
  return line ? fmt::format("{}:{}: {}", file, line, message) : fmt::format("{}: {}", file, message);
}

std::string WhitelistSource::describe() const {
  return file.empty() ? entry : fmt::format("{}:{}: {}", file, line, entry);
}

std::size_t ClientWhitelist::remember(WhitelistSource source, std::string_view entry) {
  if (source.entry.empty()) source.entry = entry;
  sources_.push_back(std::move(source));
  return sources_.size() - 1;
}

std::size_t RecipientWhitelist::remember(WhitelistSource source, std::string_view entry) {
  if (source.entry.empty()) source.entry = entry;
  sources_.push_back(std::move(source));
  return sources_.size() - 1;
}

std::optional<std::string> ClientWhitelist::add(std::string_view entry, WhitelistSource source) {
  if (has_whitespace(entry)) return fmt::format("doesn't look like a hostname: '{}'", entry);
  if (is_regex_entry(entry)) return compile_into(regexes_, entry, [&] { return remember(std::move(source), entry); });

  // IPv4 forms: a.b.c.d[/m], a.b.c (/24), a.b (/16 — postgrey documents /16 but builds a
  // /24; we do what it documents).
  const std::string_view address_part = entry.substr(0, entry.find('/'));
  const auto octets = split_dots(address_part);
  bool numeric = octets.size() >= 2 && octets.size() <= 4;
  for (auto octet : octets) numeric = numeric && all_digits(octet) && octet.size() <= 3;
  if (numeric) {
    std::string text(address_part);
    int prefix = 32;
    if (octets.size() == 3) text += ".0", prefix = 24;
    if (octets.size() == 2) text += ".0.0", prefix = 16;
    if (octets.size() < 4 && address_part.size() != entry.size()) {
      return fmt::format("'{}': a prefix length needs all four octets", entry);
    }
    if (address_part.size() != entry.size()) text += entry.substr(address_part.size());
    else text += "/" + std::to_string(prefix);
    auto network = IpNetwork::parse(text);
    if (!network || network->address.family != IpAddress::Family::v4) {
      return fmt::format("'{}' is not a valid IPv4 address or network", entry);
    }
    networks_.emplace_back(*network, remember(std::move(source), entry));
    return std::nullopt;
  }
  if (std::count(address_part.begin(), address_part.end(), ':') >= 2) {
    auto network = IpNetwork::parse(entry);
    if (!network || network->address.family != IpAddress::Family::v6) {
      return fmt::format("'{}' is not a valid IPv6 address or network", entry);
    }
    networks_.emplace_back(*network, remember(std::move(source), entry));
    return std::nullopt;
  }
  std::string name = ascii_lower(entry);
  while (!name.empty() && name.front() == '.') name.erase(0, 1);  // ".example.com" means the same
  if (name.empty() || name.find('/') != std::string::npos || name.find('@') != std::string::npos) {
    return fmt::format("doesn't look like a hostname: '{}'", entry);
  }
  return insert_first(names_, std::move(name), remember(std::move(source), entry));
}

const WhitelistSource* ClientWhitelist::match(std::string_view client_name,
                                              const std::optional<IpAddress>& address) const {
  const bool verified_name = !client_name.empty() && client_name != "unknown";
  if (verified_name) {
    if (auto found = suffix_in(names_, ascii_lower(client_name))) return &sources_[*found];
    for (const auto& [regex, source] : regexes_) {
      if (regex->search(client_name)) return &sources_[source];
    }
  }
  if (address) {
    for (const auto& [network, source] : networks_) {
      if (network.contains(*address)) return &sources_[source];
    }
  }
  return nullptr;
}

std::optional<std::string> RecipientWhitelist::add(std::string_view entry, WhitelistSource source) {
  if (has_whitespace(entry)) return fmt::format("doesn't look like an address: '{}'", entry);
  if (is_regex_entry(entry)) return compile_into(regexes_, entry, [&] { return remember(std::move(source), entry); });
  std::string lower = ascii_lower(entry);
  const std::size_t at = lower.find('@');
  if (at == std::string::npos) {
    while (!lower.empty() && lower.front() == '.') lower.erase(0, 1);
    if (lower.empty()) return fmt::format("doesn't look like an address: '{}'", entry);
    return insert_first(domains_, std::move(lower), remember(std::move(source), entry));
  }
  if (at == 0) return fmt::format("doesn't look like an address: '{}' (no user before @)", entry);
  if (at + 1 == lower.size()) return insert_first(users_, lower.substr(0, at), remember(std::move(source), entry));
  return insert_first(addresses_, std::move(lower), remember(std::move(source), entry));
}

const WhitelistSource* RecipientWhitelist::match(std::string_view recipient) const {
  const std::string lower = ascii_lower(recipient);
  const std::size_t at = lower.rfind('@');
  const std::string local = lower.substr(0, at);
  // "user" entries also cover "user+anything", as in postgrey.
  const std::string base = local.substr(0, local.find('+'));
  std::optional<std::size_t> found = find_in(users_, local);
  if (!found) found = find_in(users_, base);
  if (!found && at != std::string::npos) {
    const std::string domain = lower.substr(at + 1);
    found = find_in(addresses_, local + "@" + domain);
    if (!found) found = find_in(addresses_, base + "@" + domain);
    if (!found) found = suffix_in(domains_, domain);
  }
  if (found) return &sources_[*found];
  for (const auto& [regex, source] : regexes_) {
    if (regex->search(recipient)) return &sources_[source];
  }
  return nullptr;
}

template <typename List>
void add_whitelist_text(List& list, std::string_view text, std::string_view file_name,
                        std::vector<WhitelistIssue>& issues) {
  std::size_t number = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    line = line.substr(0, line.find('#'));
    const std::size_t first = line.find_first_not_of(" \t\r\v\f");
    if (first == std::string_view::npos) continue;
    line = line.substr(first, line.find_last_not_of(" \t\r\v\f") - first + 1);
    if (auto error = list.add(line, WhitelistSource{std::string(file_name), number, std::string(line)})) {
      issues.push_back({std::string(file_name), number, std::move(*error)});
    }
  }
}

template void add_whitelist_text(ClientWhitelist&, std::string_view, std::string_view, std::vector<WhitelistIssue>&);
template void add_whitelist_text(RecipientWhitelist&, std::string_view, std::string_view,
                                 std::vector<WhitelistIssue>&);

namespace {

/// The whole file, or nullopt with errno set (a directory fails with EISDIR, as it should).
std::optional<std::string> read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  char chunk[65536];
  for (;;) {
    const ssize_t got = ::read(fd, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int error = errno;
      ::close(fd);
      errno = error;
      return std::nullopt;
    }
    if (got == 0) break;
    text.append(chunk, static_cast<std::size_t>(got));
  }
  ::close(fd);
  return text;
}

template <typename List>
void load_into(List& list, const std::vector<std::string>& files, Whitelists& loaded,
               std::vector<WhitelistIssue>& issues) {
  auto read_into = [&](const std::string& path, bool optional) {
    if (auto text = read_file(path)) {
      add_whitelist_text(list, *text, path, issues);
      loaded.files_read.push_back(path);
    } else if (!(optional && errno == ENOENT)) {
      WhitelistIssue issue{path, 0, "cannot read: " + std::string(std::strerror(errno))};
      issue.unreadable = true;
      issue.missing = errno == ENOENT;
      issues.push_back(std::move(issue));
    }
  };
  for (const auto& path : files) {
    read_into(path, false);
    // The .local companion is read for every file, also ones named explicitly: postgrey
    // silently dropping it when a file is named is a known trap (mail-in-a-box #1659).
    read_into(path + ".local", true);
  }
}

}  // namespace

Whitelists load_whitelists(const std::vector<std::string>& client_files,
                           const std::vector<std::string>& recipient_files, std::vector<WhitelistIssue>& issues) {
  Whitelists whitelists;
  load_into(whitelists.clients, client_files, whitelists, issues);
  load_into(whitelists.recipients, recipient_files, whitelists, issues);
  return whitelists;
}

}  // namespace grayling
