#pragma once
/// postgrey's client and recipient whitelists: file grammar and matching.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "grayling/core/ip_address.hpp"
#include "grayling/core/regex.hpp"
#include "grayling/core/string_hash.hpp"

namespace grayling {


/// A line of a whitelist file that could not be used; it is skipped, never fatal.
struct WhitelistIssue {
  std::string file;
  std::size_t line = 0;  // 0: the file as a whole
  std::string message;
  bool unreadable = false;  // the file as a whole could not be read (line is 0)
  bool missing = false;     // ... because it does not exist
  /// "FILE:LINE: message" (or "FILE: message").
  [[nodiscard]] std::string describe() const;
};

/// Where a whitelist entry came from, so that a match can be explained as FILE:LINE
/// (grayling-admin explain). Entries added by hand have no file.
struct WhitelistSource {
  std::string file;
  std::size_t line = 0;
  std::string entry;  // as written in the file
  /// "FILE:LINE: ENTRY", or the entry alone.
  [[nodiscard]] std::string describe() const;
};

/// Clients passed without greylisting: addresses, networks, host/domain names, regexes.
class ClientWhitelist {
 public:
  /// Adds one entry in postgrey's grammar. Returns an error message, or nullopt when added.
  std::optional<std::string> add(std::string_view entry, WhitelistSource source = {});

  /// The entry the client matches, or null. Name entries are matched only against the
  /// verified client_name, and never when it is "unknown" (Postfix's word for "not
  /// verified"). Names are tried first, then regexes, then networks.
  [[nodiscard]] const WhitelistSource* match(std::string_view client_name,
                                             const std::optional<IpAddress>& address) const;
  [[nodiscard]] bool matches(std::string_view client_name, const std::optional<IpAddress>& address) const {
    return match(client_name, address) != nullptr;
  }

  [[nodiscard]] std::size_t size() const { return names_.size() + networks_.size() + regexes_.size(); }

 private:
  std::size_t remember(WhitelistSource source, std::string_view entry);

  // Each entry holds the index of its source in sources_. A name written twice keeps the
  // first line that named it.
  std::vector<WhitelistSource> sources_;
  StringMap<std::size_t> names_;  // lower-case; matched as suffix at a label boundary
  std::vector<std::pair<IpNetwork, std::size_t>> networks_;
  std::vector<std::pair<std::shared_ptr<const Regex>, std::size_t>> regexes_;
};

/// Recipients that are never greylisted: "user@", "user@domain", "domain", "/regex/".
class RecipientWhitelist {
 public:
  std::optional<std::string> add(std::string_view entry, WhitelistSource source = {});
  /// The entry the recipient matches, or null: users, then addresses, domains, regexes.
  [[nodiscard]] const WhitelistSource* match(std::string_view recipient) const;
  [[nodiscard]] bool matches(std::string_view recipient) const { return match(recipient) != nullptr; }
  [[nodiscard]] std::size_t size() const {
    return users_.size() + addresses_.size() + domains_.size() + regexes_.size();
  }

 private:
  std::size_t remember(WhitelistSource source, std::string_view entry);

  std::vector<WhitelistSource> sources_;
  StringMap<std::size_t> users_;      // "postmaster": any domain
  StringMap<std::size_t> addresses_;  // "user@domain"
  StringMap<std::size_t> domains_;    // "example.org" and its subdomains
  std::vector<std::pair<std::shared_ptr<const Regex>, std::size_t>> regexes_;
};

/// Both whitelists, as loaded from files.
struct Whitelists {
  ClientWhitelist clients;
  RecipientWhitelist recipients;
  std::vector<std::string> files_read;  // every file that was read, .local ones included
};

/// Adds every entry of a file's text: '#' starts a comment anywhere, blank lines are
/// skipped, surrounding whitespace is ignored. Bad lines become issues with their number.
template <typename List>
void add_whitelist_text(List& list, std::string_view text, std::string_view file_name,
                        std::vector<WhitelistIssue>& issues);

/// Reads each file and, if present, FILE.local after it (unlike postgrey, also for files
/// named on the command line). A main file that cannot be read is an `unreadable` issue,
/// and so is a .local that exists but cannot be read; a missing .local is no issue. Which
/// unreadable file is fatal is the caller's policy.
[[nodiscard]] Whitelists load_whitelists(const std::vector<std::string>& client_files,
                                         const std::vector<std::string>& recipient_files,
                                         std::vector<WhitelistIssue>& issues);

}  // namespace grayling
