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

/// Clients passed without greylisting: addresses, networks, host/domain names, regexes.
class ClientWhitelist {
 public:
  /// Adds one entry in postgrey's grammar. Returns an error message, or nullopt when added.
  std::optional<std::string> add(std::string_view entry);

  /// Whether the client matches. Name entries are matched only against the verified
  /// client_name, and never when it is "unknown" (Postfix's word for "not verified").
  [[nodiscard]] bool matches(std::string_view client_name, const std::optional<IpAddress>& address) const;

  [[nodiscard]] std::size_t size() const { return names_.size() + networks_.size() + regexes_.size(); }

 private:
  StringSet names_;  // lower-case; matched as suffix at a label boundary
  std::vector<IpNetwork> networks_;
  std::vector<std::shared_ptr<const Regex>> regexes_;
};

/// Recipients that are never greylisted: "user@", "user@domain", "domain", "/regex/".
class RecipientWhitelist {
 public:
  std::optional<std::string> add(std::string_view entry);
  [[nodiscard]] bool matches(std::string_view recipient) const;
  [[nodiscard]] std::size_t size() const {
    return users_.size() + addresses_.size() + domains_.size() + regexes_.size();
  }

 private:
  StringSet users_;      // "postmaster": any domain
  StringSet addresses_;  // "user@domain"
  StringSet domains_;    // "example.org" and its subdomains
  std::vector<std::shared_ptr<const Regex>> regexes_;
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
