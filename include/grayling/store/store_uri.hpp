#pragma once
/// Where the state lives, parsed once from --store (or --dbdir) into a typed value.

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace grayling {

/// A --store value that names no store grayling knows.
class StoreUriError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// A parsed store URI: "memory:", "sqlite:PATH", or a PostgreSQL connection: a libpq
/// URI ("postgresql://USER@HOST:PORT/DB?...", "postgres://...", multi-host lists and
/// all) or "postgresql:" followed by a libpq keyword string ("host=... dbname=...").
struct StoreUri {
  enum class Scheme { memory, sqlite, postgresql };

  Scheme scheme = Scheme::memory;
  std::string path;      // sqlite: the database file
  std::string conninfo;  // postgresql: what libpq is given, exactly as written

  /// Parses `text`; throws StoreUriError with a message naming the accepted forms.
  [[nodiscard]] static StoreUri parse(std::string_view text);
  /// The default store: DBDIR/grayling.db.
  [[nodiscard]] static StoreUri sqlite_in(const std::string& dbdir);

  /// The URI as text, fit for a log line: a password in it is masked.
  [[nodiscard]] std::string describe() const;
  /// The directory a file-based store keeps its files in, which the daemon creates and
  /// hands to its user before dropping privileges; nullopt for other stores.
  [[nodiscard]] std::optional<std::string> directory() const;

  friend bool operator==(const StoreUri&, const StoreUri&) = default;
};

/// `conninfo` (a libpq URI or keyword string) with any password replaced by "***".
[[nodiscard]] std::string mask_password(std::string_view conninfo);

}  // namespace grayling
