#include "grayling/admin/postgrey_reader.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

extern char** environ;  // the child gets our environment (PATH, DB_HOME unused with -h)

namespace grayling {

namespace {

namespace fs = std::filesystem;

// db_dump's stderr is for a message; a damaged file can make it repeat one line for
// every page. Enough of it is kept to say what went wrong.
constexpr std::size_t kMaxStderr = 64 * 1024;
constexpr std::size_t kStderrLinesShown = 3;

/// A file descriptor closed when it goes.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    reset();
    fd_ = std::exchange(other.fd_, -1);
    return *this;
  }
  ~Fd() { reset(); }
  [[nodiscard]] int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read;
  Fd write;
};

Pipe make_pipe() {
  int fds[2];
  // Close-on-exec: the child keeps only what it is given as 1 and 2.
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  return {Fd(fds[0]), Fd(fds[1])};
}

/// A child process that is killed and reaped if it is left before wait(): an error while
/// reading its output must not leave a db_dump running or a zombie behind.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    (void)reap();
  }

  void kill() const { ::kill(pid_, SIGKILL); }

  /// Its wait status, once it has ended. Throws if it cannot be had (SIGCHLD ignored):
  /// an unknown status must not pass for success.
  int wait() {
    const auto status = reap();
    if (!status) throw std::system_error(errno, std::generic_category(), "waiting for db_dump");
    return *status;
  }

 private:
  std::optional<int> reap() {
    int status = 0;
    pid_t reaped = -1;
    do {
      reaped = ::waitpid(pid_, &status, 0);
    } while (reaped < 0 && errno == EINTR);
    pid_ = -1;
    if (reaped < 0) return std::nullopt;
    return status;
  }

  pid_t pid_;
};

Child spawn_db_dump(const PostgreyReadOptions& options, const fs::path& dbdir, std::string_view file, Fd& out,
                    Fd& err) {
  Pipe out_pipe = make_pipe();
  Pipe err_pipe = make_pipe();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe.write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe.write.get(), 2);

  // -p: printable text (db_dump_parser.hpp); -h: postgrey's environment (header comment).
  std::string program = options.db_dump;
  std::string print_flag = "-p";
  std::string home_flag = "-h";
  std::string home = dbdir.string();
  std::string name(file);
  char* argv[] = {program.data(), print_flag.data(), home_flag.data(), home.data(), name.data(), nullptr};
  pid_t pid = -1;
  const int spawned = ::posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    const std::string hint = spawned == ENOENT ? "; install db-util (Berkeley DB's utilities)" : "";
    throw std::runtime_error(fmt::format("cannot run {}: {}{}", options.db_dump, std::strerror(spawned), hint));
  }
  out = std::move(out_pipe.read);
  err = std::move(err_pipe.read);
  return Child(pid);  // the write ends close here: our reads see EOF when db_dump exits
}

/// The first few distinct lines db_dump wrote to stderr, without its "db_dump: " prefix.
std::string stderr_summary(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty() && lines.size() < kStderrLinesShown) {
    const std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    if (const std::size_t colon = line.find(": ");
        colon != std::string_view::npos && line.substr(0, colon).find("db_dump") != std::string_view::npos) {
      line.remove_prefix(colon + 2);
    }
    if (line.empty() || std::find(lines.begin(), lines.end(), line) != lines.end()) continue;
    lines.push_back(line);
  }
  std::string summary;
  for (const auto line : lines) {
    if (!summary.empty()) summary += "; ";
    summary += db_dump_printable(line, 200);
  }
  return summary;
}

/// Why a finished db_dump failed, or nullopt if it exited 0.
std::optional<std::string> failure(int status, std::string_view errors) {
  const std::string said = stderr_summary(errors);
  if (WIFSIGNALED(status)) {
    return fmt::format("db_dump was killed by signal {} ({}): the file is damaged{}{}", WTERMSIG(status),
                       ::strsignal(WTERMSIG(status)), said.empty() ? "" : ": ", said);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return std::nullopt;
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  // A truncated file often makes db_dump fail without a word (seen with db5.3).
  const std::string why = said.empty() ? "without a message: the file is truncated or damaged" : said;
  return fmt::format("db_dump failed (exit {}){}{}", code, said.empty() ? " " : ": ", why);
}

/// Reads both pipes until db_dump closes them, feeding stdout to `parser`. A parse error
/// stops the parsing, not the reading: db_dump's own verdict, which comes at its exit,
/// says more about a broken file than the broken text it printed.
void drain(Child& child, Fd& out, Fd& err, DbDumpParser& parser, std::optional<std::string>& parse_error,
           std::string& errors, const PostgreyReadOptions& options, std::string_view where) {
  std::vector<char> buffer(64 * 1024);
  pollfd fds[2] = {{out.get(), POLLIN, 0}, {err.get(), POLLIN, 0}};
  Fd* owners[2] = {&out, &err};
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    const int ready = ::poll(fds, 2, static_cast<int>(options.idle_timeout.count()));
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "poll");
    }
    if (ready == 0) {
      child.kill();
      throw std::runtime_error(fmt::format(
          "{}: db_dump printed nothing for {} ms and was stopped: is postgrey's environment stuck? Stop postgrey, "
          "or run db_recover -h on its --dbdir as its user",
          where, options.idle_timeout.count()));
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t got = ::read(fds[i].fd, buffer.data(), buffer.size());
      if (got < 0) {
        if (errno == EINTR) continue;
        throw std::system_error(errno, std::generic_category(), "reading from db_dump");
      }
      if (got == 0) {
        owners[i]->reset();
        fds[i].fd = -1;  // poll() skips a negative descriptor
        continue;
      }
      const std::string_view bytes(buffer.data(), static_cast<std::size_t>(got));
      if (i == 1) {
        errors.append(bytes.substr(0, kMaxStderr - std::min(kMaxStderr, errors.size())));
        continue;
      }
      if (parse_error) continue;
      try {
        parser.feed(bytes);
      } catch (const DbDumpError& e) {
        parse_error = e.what();
        continue;
      }
      if (options.progress) options.progress(where, parser.records());
    }
  }
}

/// Throws unless `path` exists; `what` says what it should be.
void require(const fs::path& path, std::string_view what) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    throw std::runtime_error(fmt::format("cannot read {}: {}", path.string(), ec.message()));
  }
  if (!fs::exists(status)) throw std::runtime_error(fmt::format("{}: no such {}", path.string(), what));
}

/// Whether db_dump may join postgrey's environment: it must write its region files
/// (__db.001, ...); where it may not, it silently reads the .db files by themselves.
bool environment_joinable(const fs::path& dbdir) {
  std::error_code ec;
  bool any = false;
  for (const auto& entry : fs::directory_iterator(dbdir, ec)) {
    if (!entry.path().filename().string().starts_with("__db.")) continue;
    if (::access(entry.path().c_str(), R_OK | W_OK) != 0) return false;
    any = true;
  }
  return any && !ec;
}

}  // namespace

std::vector<DbDumpDatabase> dump_berkeley_db(const fs::path& dbdir, std::string_view file,
                                             const PostgreyReadOptions& options) {
  const std::string where = (dbdir / file).string();
  Fd out;
  Fd err;
  Child child = spawn_db_dump(options, dbdir, file, out, err);
  DbDumpParser parser;
  std::optional<std::string> parse_error;
  std::string errors;
  drain(child, out, err, parser, parse_error, errors, options, where);
  if (const auto failed = failure(child.wait(), errors)) {
    throw std::runtime_error(fmt::format("{}: {}", where, *failed));
  }
  try {
    if (parse_error) throw DbDumpError(*parse_error);
    return parser.finish();
  } catch (const DbDumpError& e) {
    throw std::runtime_error(fmt::format("{}: db_dump's output: {}", where, e.what()));
  }
}

PostgreyState read_postgrey_dbdir(const fs::path& dbdir, const PostgreyRules& rules,
                                  const PostgreyReadOptions& options) {
  require(dbdir, "directory (postgrey's --dbdir)");
  if (!fs::is_directory(dbdir)) throw std::runtime_error(fmt::format("{}: not a directory", dbdir.string()));
  require(dbdir / kPostgreyTripletsFile, "file: is this postgrey's --dbdir?");
  // A running postgrey's files on disk lag behind it, by up to an hour's writes (they are
  // brought up to date at its checkpoints); only through its environment is it all seen.
  if (postgrey_running(dbdir) && !environment_joinable(dbdir)) {
    throw std::runtime_error(fmt::format(
        "{}: postgrey is running, and its database environment (__db.* files) is not writable by this user: "
        "its files on disk are not up to date. Stop postgrey, or run this as root or as postgrey's user",
        dbdir.string()));
  }
  PostgreyState state;
  add_postgrey_triplets(state, dump_berkeley_db(dbdir, kPostgreyTripletsFile, options), rules);
  // postgrey creates its clients' database only with its auto-whitelist on.
  std::error_code ec;
  if (fs::exists(dbdir / kPostgreyClientsFile, ec)) {
    add_postgrey_clients(state, dump_berkeley_db(dbdir, kPostgreyClientsFile, options), rules);
  } else if (ec) {
    throw std::runtime_error(fmt::format("cannot read {}: {}", (dbdir / kPostgreyClientsFile).string(), ec.message()));
  }
  return state;
}

bool postgrey_running(const fs::path& dbdir) {
  const Fd lock(::open((dbdir / "postgrey.lock").c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (lock.get() < 0) return false;
  // postgrey holds an exclusive flock while it runs. Ours is shared and let go at once;
  // a postgrey starting in that instant would find the lock taken and stop with "locked".
  if (::flock(lock.get(), LOCK_SH | LOCK_NB) != 0) return errno == EWOULDBLOCK;
  ::flock(lock.get(), LOCK_UN);
  return false;
}

}  // namespace grayling
