#pragma once
/// Reads postgrey's --dbdir by running Berkeley DB's own `db_dump -p` (package db-util)
/// and parsing its text (db_dump_parser.hpp, postgrey_data.hpp).
///
/// Why a child process and not libdb: a damaged file can crash the library, and then only
/// db_dump dies, with an exit status we report; grayling-admin needs no link to a library
/// Debian is phasing out; db_dump's text format is stable and documented.
///
/// db_dump runs with -h DBDIR: it joins postgrey's environment (its __db.* files) when it
/// may, and so reads through postgrey's buffer pool. The .db files on disk lag behind a
/// running postgrey, and behind one that was killed (they are written at checkpoints and
/// when postgrey stops). Where db_dump may not join (no __db.* files, or a user who cannot
/// write them), it silently reads the .db files by themselves: a copy must be of the
/// whole directory, or of a postgrey stopped cleanly. postgrey takes no locks inside its
/// environment, so the consistent read is of a stopped postgrey.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "grayling/admin/db_dump_parser.hpp"
#include "grayling/admin/postgrey_data.hpp"

namespace grayling {

/// How to run db_dump, and whom to tell how far it got.
struct PostgreyReadOptions {
  std::string db_dump = "db_dump";  // searched on PATH unless it holds a '/'
  // db_dump printing nothing for this long is stuck (an environment left locked by a
  // crashed process): it is killed, and the read fails.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(60);
  // Called as records arrive: the file being read and its records so far. The total is
  // not known until that file's dump ends.
  std::function<void(std::string_view file, std::size_t records)> progress;
};

/// postgrey.db and, if there is one, postgrey_clients.db (postgrey without its
/// auto-whitelist has none) of `dbdir`, judged by `rules`. Throws std::runtime_error
/// naming the directory or file: no such directory, no postgrey.db, db_dump missing
/// ("install db-util"), db_dump failing or killed (a damaged or truncated file), or its
/// output not a whole dump.
[[nodiscard]] PostgreyState read_postgrey_dbdir(const std::filesystem::path& dbdir, const PostgreyRules& rules,
                                                const PostgreyReadOptions& options = {});

/// Every database of `file` in `dbdir`, as `db_dump -p -h dbdir file` prints them. Throws
/// as read_postgrey_dbdir.
[[nodiscard]] std::vector<DbDumpDatabase> dump_berkeley_db(const std::filesystem::path& dbdir, std::string_view file,
                                                           const PostgreyReadOptions& options = {});

/// Whether a postgrey holds its lock in `dbdir` (postgrey.lock, flock'ed while it runs):
/// an import should then warn that the greylist is still changing. False when there is
/// no lock file or it cannot be opened.
[[nodiscard]] bool postgrey_running(const std::filesystem::path& dbdir);

}  // namespace grayling
