#include "grayling/store/store_uri.hpp"

namespace grayling {

StoreUri StoreUri::parse(std::string_view text) {
  if (text == "memory:") return StoreUri{Scheme::memory, {}};
  if (text.starts_with("sqlite:")) {
    std::string_view path = text.substr(7);
    // sqlite:///var/lib/x.db is the same file as sqlite:/var/lib/x.db.
    if (path.starts_with("//")) path.remove_prefix(2);
    if (path.empty()) throw StoreUriError("--store=" + std::string(text) + ": sqlite: needs a file, as in sqlite:/var/lib/grayling/grayling.db");
    return StoreUri{Scheme::sqlite, std::string(path)};
  }
  throw StoreUriError("--store=" + std::string(text) + ": unknown store (expected memory: or sqlite:PATH)");
}

StoreUri StoreUri::sqlite_in(const std::string& dbdir) { return StoreUri{Scheme::sqlite, dbdir + "/grayling.db"}; }

std::string StoreUri::describe() const {
  switch (scheme) {
    case Scheme::memory:
      return "memory:";
    case Scheme::sqlite:
      return "sqlite:" + path;
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
