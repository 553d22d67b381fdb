#include "grayling/store/store_uri.hpp"

namespace grayling {

StoreUri StoreUri::parse(std::string_view text) {
  if (text == "memory:") return StoreUri{Scheme::memory, {}, {}};
  if (text.starts_with("sqlite:")) {
    std::string_view path = text.substr(7);
    // sqlite:///var/lib/x.db is the same file as sqlite:/var/lib/x.db.
    if (path.starts_with("//")) path.remove_prefix(2);
    if (path.empty()) throw StoreUriError("--store=" + std::string(text) + ": sqlite: needs a file, as in sqlite:/var/lib/grayling/grayling.db");
    return StoreUri{Scheme::sqlite, std::string(path), {}};
  }
  if (text.starts_with("postgresql://") || text.starts_with("postgres://")) {
    return StoreUri{Scheme::postgresql, {}, std::string(text)};
  }
  if (text.starts_with("postgresql:")) {
    const std::string_view keywords = text.substr(11);
    if (keywords.find('=') == std::string_view::npos) {
      throw StoreUriError("--store=" + std::string(text) +
                          ": expected postgresql://USER@HOST/DB or postgresql:KEYWORD=VALUE ...");
    }
    return StoreUri{Scheme::postgresql, {}, std::string(keywords)};
  }
  throw StoreUriError("--store=" + std::string(text) +
                      ": unknown store (expected memory:, sqlite:PATH or postgresql://USER@HOST/DB)");
}

std::string mask_password(std::string_view conninfo) {
  std::string masked(conninfo);
  // URI form: scheme://user:PASSWORD@host...
  if (const std::size_t scheme_end = masked.find("://"); scheme_end != std::string::npos) {
    const std::size_t authority = scheme_end + 3;
    const std::size_t at = masked.find('@', authority);
    const std::size_t slash = masked.find('/', authority);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      const std::size_t colon = masked.find(':', authority);
      if (colon != std::string::npos && colon < at) masked.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // password=VALUE in a query string (&-separated) or a keyword string (space-separated,
  // VALUE possibly quoted).
  for (std::size_t at = masked.find("password="); at != std::string::npos; at = masked.find("password=", at + 1)) {
    if (at > 0 && masked[at - 1] != '?' && masked[at - 1] != '&' && masked[at - 1] != ' ') continue;
    const std::size_t value = at + 9;
    std::size_t end = value;
    if (end < masked.size() && masked[end] == '\'') {
      for (++end; end < masked.size() && masked[end] != '\''; ++end) {
        if (masked[end] == '\\') ++end;
      }
      if (end < masked.size()) ++end;
    } else {
      while (end < masked.size() && masked[end] != '&' && masked[end] != ' ') ++end;
    }
    masked.replace(value, end - value, "***");
  }
  return masked;
}

StoreUri StoreUri::sqlite_in(const std::string& dbdir) { return StoreUri{Scheme::sqlite, dbdir + "/grayling.db", {}}; }

std::string StoreUri::describe() const {
  switch (scheme) {
    case Scheme::memory:
      return "memory:";
    case Scheme::sqlite:
      return "sqlite:" + path;
    case Scheme::postgresql:
      return conninfo.find("://") != std::string::npos ? mask_password(conninfo)
                                                       : "postgresql:" + mask_password(conninfo);
  }
  return {};
}

std::optional<std::string> StoreUri::directory() const {
  if (scheme != Scheme::sqlite) return std::nullopt;
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return std::string(".");
  return slash == 0 ? std::string("/") : path.substr(0, slash);
}

}  // namespace grayling
