#include "support/postgres_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

#include "support/free_port.hpp"

namespace grayling::test {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Every wait is bounded; these are far above what a healthy machine needs.
constexpr auto kInitdbTimeout = 120s;
constexpr auto kPgCtlTimeout = 60s;  // pg_ctl itself waits at most 30 s (-t 30)
constexpr auto kPsqlTimeout = 60s;
constexpr auto kToolTimeout = 10s;
constexpr auto kExitTimeout = 10s;  // for a killed process to be gone
constexpr int kStartAttempts = 5;

// ---- the programs -------------------------------------------------------------------

/// Where PostgreSQL's programs are, and who runs the server.
struct Tools {
  std::string initdb, pg_ctl, psql, runuser;  // absolute paths; runuser only as root
  std::string user;                            // the server's user, when running as root
  uid_t uid = 0;
  gid_t gid = 0;
  std::string missing;  // why the server cannot run here; empty if it can
};

bool executable(const std::string& path) { return !path.empty() && ::access(path.c_str(), X_OK) == 0; }

/// `name` in $PATH, then in /usr/sbin and /sbin (runuser lives there); "" if absent.
std::string find_in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string directories = path != nullptr && *path != '\0' ? path : "/usr/local/bin:/usr/bin:/bin";
  directories += ":/usr/sbin:/sbin";
  std::istringstream list(directories);
  for (std::string directory; std::getline(list, directory, ':');) {
    if (directory.empty()) continue;
    const std::string candidate = directory + "/" + name;
    if (executable(candidate)) return candidate;
  }
  return {};
}

/// The environment children get: ours without libpq's PG* variables, so that nothing
/// from the machine (PGHOST, PGOPTIONS, PGSERVICE...) changes where or how they connect.
std::vector<std::string> child_environment() {
  std::vector<std::string> environment;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    if (std::strncmp(*entry, "PG", 2) != 0) environment.emplace_back(*entry);
  }
  return environment;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> result;
  for (auto& s : strings) result.push_back(s.data());
  result.push_back(nullptr);
  return result;
}

enum class Detach {
  no,   // dies with this thread (PR_SET_PDEATHSIG), own process group (to kill it whole)
  yes,  // own session, outlives this process
};

/// fork()s and exec()s `argv` (argv[0] an absolute path) with `stdio` as its descriptors
/// 0, 1 and 2, in "/", every other descriptor closed. Throws std::system_error.
pid_t spawn(std::vector<std::string> argv, std::array<int, 3> stdio, Detach detach) {
  // Everything is prepared before fork(): afterwards only async-signal-safe calls.
  std::vector<char*> args = pointers(argv);
  std::vector<std::string> environment = child_environment();
  std::vector<char*> envp = pointers(environment);
  const long open_max = ::sysconf(_SC_OPEN_MAX);
  const int max_fd = open_max > 0 && open_max < 65536 ? static_cast<int>(open_max) : 1024;
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid > 0) return pid;
  if (detach == Detach::yes) {
    ::setsid();
  } else {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::setpgid(0, 0);
  }
  // dup() first: one of stdio may already sit on 0, 1 or 2.
  std::array<int, 3> copies{};
  for (int i = 0; i < 3; ++i) copies[i] = ::fcntl(stdio[i], F_DUPFD_CLOEXEC, 3);
  for (int i = 0; i < 3; ++i) ::dup2(copies[i], i);
  // A descriptor of the test (a client socket...) kept open by a long-lived postmaster
  // would never see its peer close.
  if (::close_range(3, ~0U, 0) != 0) {
    for (int fd = 3; fd < max_fd; ++fd) ::close(fd);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  if (::chdir("/") != 0) ::_exit(127);
  ::execve(args[0], args.data(), envp.data());
  ::_exit(127);
}

/// A file descriptor, closed when it goes out of scope.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }

  [[nodiscard]] int get() const { return fd_; }
  /// Gives up ownership: the caller closes it.
  [[nodiscard]] int release() { return std::exchange(fd_, -1); }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

Fd open_or_throw(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0600);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + path);
  return Fd(fd);
}

/// Creates `path` empty (or empties it).
void create_empty(const std::string& path) { open_or_throw(path, O_WRONLY | O_CREAT | O_TRUNC).reset(); }

struct Pipe {
  Fd read, write;
};

Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

/// How a program run to completion ended.
struct Completed {
  std::string command;  // for messages
  int status = 0;       // waitpid() status
  bool timed_out = false;
  std::string out, err;  // captured output, when not sent to a file

  [[nodiscard]] bool ok() const { return !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0; }
  [[nodiscard]] std::string describe() const {
    if (timed_out) return command + ": timed out, killed";
    if (WIFEXITED(status)) return command + ": exit " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return command + ": killed by signal " + std::to_string(WTERMSIG(status));
    return command + ": wait status " + std::to_string(status);
  }
};

std::string join(const std::vector<std::string>& words) {
  std::string text;
  for (const auto& word : words) text += (text.empty() ? "" : " ") + word;
  return text;
}

/// Appends what non-blocking `fd` has to `into`; closes `fd` at end of file.
void drain(Fd& fd, std::string& into) {
  char buffer[4096];
  while (fd.get() >= 0) {
    const ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
    if (got > 0) {
      into.append(buffer, static_cast<std::size_t>(got));
    } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
      fd.reset();
    } else if (errno == EAGAIN) {
      return;
    }
  }
}

/// Runs `argv` to completion, stdin from /dev/null; stdout and stderr captured, or both
/// appended to `output_fd` when it is >= 0. Kills the program (and its process group)
/// if it has not finished after `timeout`. Output still held open by a grandchild (a
/// postmaster) is not waited for.
Completed run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout, int output_fd = -1) {
  Completed done;
  done.command = join(argv);
  const Fd null = open_or_throw("/dev/null", O_RDWR);
  const bool capture = output_fd < 0;
  Pipe out = capture ? make_pipe() : Pipe{};
  Pipe err = capture ? make_pipe() : Pipe{};
  const int out_fd = capture ? out.write.get() : output_fd;
  const int err_fd = capture ? err.write.get() : output_fd;
  const pid_t pid = spawn(argv, {null.get(), out_fd, err_fd}, Detach::no);
  out.write.reset();  // EOF once the program (and whatever it started) closed its copies
  err.write.reset();
  for (const Fd* reader : {&out.read, &err.read}) {
    if (reader->get() >= 0) ::fcntl(reader->get(), F_SETFL, ::fcntl(reader->get(), F_GETFL) | O_NONBLOCK);
  }
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    drain(out.read, done.out);
    drain(err.read, done.err);
    const pid_t reaped = ::waitpid(pid, &done.status, WNOHANG);
    if (reaped == pid) break;
    if (reaped < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "waitpid");
    if (Clock::now() >= deadline) {
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &done.status, 0) < 0 && errno == EINTR) {
      }
      done.timed_out = true;
      break;
    }
    pollfd watched[2] = {{out.read.get(), POLLIN, 0}, {err.read.get(), POLLIN, 0}};
    ::poll(watched, 2, out.read.get() < 0 && err.read.get() < 0 ? 5 : 50);
  }
  drain(out.read, done.out);
  drain(err.read, done.err);
  return done;
}

// ---- finding PostgreSQL -------------------------------------------------------------

/// The newest /usr/lib/postgresql/<version>/bin holding initdb, else `pg_config
/// --bindir`; "" if neither.
std::string server_bindir() {
  std::string newest;
  double newest_version = -1;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", error)) {
    const std::string bin = (entry.path() / "bin").string();
    const double version = std::strtod(entry.path().filename().c_str(), nullptr);
    if (executable(bin + "/initdb") && version > newest_version) {
      newest = bin;
      newest_version = version;
    }
  }
  if (!newest.empty()) return newest;
  const std::string pg_config = find_in_path("pg_config");
  if (pg_config.empty()) return {};
  Completed asked = run({pg_config, "--bindir"}, kToolTimeout);
  std::string bindir = asked.ok() ? asked.out : "";
  while (!bindir.empty() && (bindir.back() == '\n' || bindir.back() == ' ')) bindir.pop_back();
  return executable(bindir + "/initdb") ? bindir : "";
}

Tools find_tools() {
  Tools tools;
  const std::string bindir = server_bindir();
  if (bindir.empty()) {
    tools.missing = "no PostgreSQL server programs (no /usr/lib/postgresql/*/bin/initdb, no pg_config --bindir); "
                    "apt-get install postgresql";
    return tools;
  }
  tools.initdb = bindir + "/initdb";
  tools.pg_ctl = bindir + "/pg_ctl";
  tools.psql = executable(bindir + "/psql") ? bindir + "/psql" : find_in_path("psql");
  if (!executable(tools.pg_ctl) || !executable(bindir + "/postgres")) {
    tools.missing = bindir + " has initdb but not pg_ctl and postgres";
  } else if (tools.psql.empty()) {
    tools.missing = "no psql; apt-get install postgresql-client";
  }
  if (!tools.missing.empty() || ::geteuid() != 0) return tools;
  // initdb refuses root: the server runs as an unprivileged user.
  tools.runuser = find_in_path("runuser");
  if (tools.runuser.empty()) tools.missing = "running as root, and no runuser (util-linux) to run initdb as a user";
  for (const char* name : {"postgres", "nobody"}) {
    if (const passwd* entry = ::getpwnam(name); entry != nullptr) {
      tools.user = name;
      tools.uid = entry->pw_uid;
      tools.gid = entry->pw_gid;
      break;
    }
  }
  if (tools.missing.empty() && tools.user.empty()) tools.missing = "running as root, and no user postgres or nobody";
  return tools;
}

const Tools& tools() {
  static const Tools found = find_tools();
  return found;
}

// ---- processes and files ------------------------------------------------------------

/// True while `pid` exists and is not a zombie.
bool alive(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const std::size_t paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size() || text[paren + 2] != 'Z';
}

/// Waits until `pid` is gone, reaping it if it is our child (as an orphaned postmaster
/// is, this process being a subreaper). False if it is still there at `deadline`.
bool wait_gone(pid_t pid, Clock::time_point deadline) {
  for (;;) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid || !alive(pid)) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

/// The processes whose parent is `pid`.
std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> children;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const std::size_t paren = text.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream fields(text.substr(paren + 2));
    char state = 0;
    pid_t parent = 0;
    if (fields >> state >> parent && parent == pid) children.push_back(std::stoi(name));
  }
  return children;
}

/// The contents of `path` from byte `from` on; "" if it cannot be read.
std::string read_file(const std::string& path, std::size_t from = 0) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return from < text.size() ? text.substr(from) : "";
}

std::size_t file_size(const std::string& path) {
  std::error_code error;
  const auto size = fs::file_size(path, error);
  return error ? 0 : static_cast<std::size_t>(size);
}

/// The last `limit` bytes of `text`.
std::string tail(const std::string& text, std::size_t limit = 4000) {
  return text.size() <= limit ? text : "[...]" + text.substr(text.size() - limit);
}

/// `word` quoted for sh -c.
std::string shell_quote(const std::string& word) {
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

void make_directory(const std::string& path, fs::perms mode) {
  fs::create_directory(path);
  fs::permissions(path, mode);
}

}  // namespace

// ---- PostgresServer -----------------------------------------------------------------

bool PostgresServer::available() { return tools().missing.empty(); }

std::string PostgresServer::unavailable_reason() { return tools().missing; }

bool PostgresServer::required() {
  const char* value = std::getenv("GRAYLING_PG_REQUIRED");
  return value != nullptr && *value != '\0' && std::string_view(value) != "0";
}

PostgresServer::PostgresServer()
    : data_dir_(dir_.file("data")),
      socket_dir_(dir_.file("run")),
      log_path_(dir_.file("server.log")),
      tools_log_path_(dir_.file("tools.log")) {
  if (!available()) throw std::runtime_error("PostgreSQL is not available: " + unavailable_reason());
  // Orphaned postmasters become our children, so that stop() and kill_hard() reap them.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  prepare_directories();
  try {
    start_watchdog();
    init_cluster();
    start_on_free_port();
  } catch (...) {
    shut_down();
    throw;
  }
}

PostgresServer::~PostgresServer() { shut_down(); }

std::string PostgresServer::uri(const std::string& db, const std::string& user) const {
  return "postgresql://" + user + "@127.0.0.1:" + std::to_string(port_) + "/" + db;
}

std::string PostgresServer::psql(const std::string& sql, const std::string& db) const {
  std::string out = run_psql(db, {sql});
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

void PostgresServer::create_database(const std::string& name) {
  static const std::regex identifier("[a-z_][a-z0-9_]*");
  if (!std::regex_match(name, identifier) || name == kAdmin || name == "postgres" || name.starts_with("template")) {
    throw std::invalid_argument("create_database: \"" + name + "\" is not a plain identifier of a test's own");
  }
  run_psql("postgres", {"DROP DATABASE IF EXISTS " + name + " WITH (FORCE)", "DROP ROLE IF EXISTS " + name,
                        "CREATE ROLE " + name + " LOGIN", "CREATE DATABASE " + name + " OWNER " + name,
                        "REVOKE ALL ON DATABASE " + name + " FROM PUBLIC"});
  run_psql(name, {"ALTER SCHEMA public OWNER TO " + name});
}

void PostgresServer::stop() { stop_in_mode("fast"); }

void PostgresServer::start() {
  if (!try_start()) {
    throw std::runtime_error("PostgreSQL cannot start again: port " + std::to_string(port_) +
                             " was taken meanwhile; log:\n" + tail(log()));
  }
}

void PostgresServer::restart() {
  stop();
  start();
}

void PostgresServer::kill_hard() {
  const pid_t postmaster = postmaster_pid();
  if (postmaster <= 0 || !alive(postmaster)) throw std::runtime_error("kill_hard: no postmaster is running");
  const std::vector<pid_t> backends = children_of(postmaster);
  ::kill(postmaster, SIGKILL);
  running_ = false;
  // The backends notice their postmaster's death and exit; start() needs them gone (they
  // hold the old shared memory), so stragglers are killed too.
  const auto deadline = Clock::now() + kExitTimeout;
  bool all_gone = wait_gone(postmaster, deadline);
  for (pid_t backend : backends) {
    if (wait_gone(backend, deadline)) continue;
    ::kill(backend, SIGKILL);
    all_gone = wait_gone(backend, Clock::now() + kExitTimeout) && all_gone;
  }
  if (!all_gone) throw std::runtime_error("kill_hard: the server's processes are still there after SIGKILL");
}

std::string PostgresServer::log() const { return read_file(log_path_); }

void PostgresServer::prepare_directories() {
  using fs::perms;
  // The server's user only passes through the temporary directory to its own.
  fs::permissions(dir_.path(), perms::owner_all | perms::group_exec | perms::others_exec);
  make_directory(data_dir_, perms::owner_all);
  make_directory(socket_dir_, perms::owner_all | perms::group_read | perms::group_exec | perms::others_read |
                                  perms::others_exec);
  create_empty(log_path_);
  create_empty(tools_log_path_);
  if (::geteuid() != 0) return;
  for (const std::string& path : {data_dir_, socket_dir_, log_path_}) {
    if (::chown(path.c_str(), tools().uid, tools().gid) != 0) {
      throw std::system_error(errno, std::generic_category(), "chown " + path + " to " + tools().user);
    }
  }
}

void PostgresServer::init_cluster() {
  const std::size_t mark = file_size(tools_log_path_);
  Fd output = open_or_throw(tools_log_path_, O_WRONLY | O_APPEND);
  const Completed done = run(as_server_user({tools().initdb, "-D", data_dir_, "-U", kAdmin, "--auth=trust", "-E",
                                             "UTF8", "--locale=C", "--no-instructions"}),
                             kInitdbTimeout, output.get());
  if (!done.ok()) throw std::runtime_error(done.describe() + ":\n" + tail(read_file(tools_log_path_, mark)));
}

void PostgresServer::start_on_free_port() {
  for (int attempt = 1; attempt <= kStartAttempts; ++attempt) {
    port_ = free_tcp_port();
    if (try_start()) return;  // else someone took the port between the check and the bind
  }
  throw std::runtime_error("PostgreSQL found no free port in " + std::to_string(kStartAttempts) + " attempts; log:\n" +
                           tail(log()));
}

bool PostgresServer::try_start() {
  const std::size_t log_mark = file_size(log_path_);
  const std::size_t tools_mark = file_size(tools_log_path_);
  const std::string options = "-p " + std::to_string(port_) + " -k " + shell_quote(socket_dir_) +
                              " -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on";
  Fd output = open_or_throw(tools_log_path_, O_WRONLY | O_APPEND);
  const Completed done =
      run(pg_ctl({"-l", log_path_, "-w", "-t", "30", "-o", options, "start"}), kPgCtlTimeout, output.get());
  if (done.ok()) {
    running_ = true;
    return true;
  }
  const std::string server_log = read_file(log_path_, log_mark);
  if (server_log.find("could not bind") != std::string::npos ||
      server_log.find("Address already in use") != std::string::npos) {
    return false;
  }
  throw std::runtime_error(done.describe() + ":\n" + tail(read_file(tools_log_path_, tools_mark)) +
                           "\nserver log:\n" + tail(server_log));
}

void PostgresServer::stop_in_mode(const std::string& mode) {
  const pid_t postmaster = postmaster_pid();
  const std::size_t mark = file_size(tools_log_path_);
  Fd output = open_or_throw(tools_log_path_, O_WRONLY | O_APPEND);
  const Completed done = run(pg_ctl({"-w", "-t", "30", "-m", mode, "stop"}), kPgCtlTimeout, output.get());
  if (!done.ok()) throw std::runtime_error(done.describe() + ":\n" + tail(read_file(tools_log_path_, mark)));
  running_ = false;
  if (postmaster > 0) wait_gone(postmaster, Clock::now() + kExitTimeout);
}

void PostgresServer::shut_down() noexcept {
  try {
    if (running_ || postmaster_pid() > 0) stop_in_mode("immediate");
  } catch (const std::exception&) {
    // The watchdog tries once more; then the files go regardless.
  }
  stop_watchdog();
}

void PostgresServer::start_watchdog() {
  Pipe pipe = make_pipe();
  const Fd null = open_or_throw("/dev/null", O_RDWR);
  std::string stop_server;
  for (const auto& word : pg_ctl({"-w", "-t", "30", "-m", "immediate", "stop"})) stop_server += shell_quote(word) + " ";
  // `cat` returns once the write end is closed: by stop_watchdog(), or by the kernel when
  // this process dies, however it dies.
  const std::string script =
      "cat >/dev/null; " + stop_server + ">/dev/null 2>&1; rm -rf -- " + shell_quote(dir_.path().string());
  watchdog_pid_ = spawn({"/bin/sh", "-c", script}, {pipe.read.get(), null.get(), null.get()}, Detach::yes);
  watchdog_fd_ = pipe.write.release();
}

void PostgresServer::stop_watchdog() noexcept {
  if (watchdog_fd_ >= 0) ::close(watchdog_fd_);
  watchdog_fd_ = -1;
  if (watchdog_pid_ <= 0) return;
  if (!wait_gone(watchdog_pid_, Clock::now() + kPgCtlTimeout)) {
    ::kill(-watchdog_pid_, SIGKILL);
    wait_gone(watchdog_pid_, Clock::now() + kExitTimeout);
  }
  watchdog_pid_ = -1;
}

pid_t PostgresServer::postmaster_pid() const {
  std::ifstream in(data_dir_ + "/postmaster.pid");
  long pid = 0;
  return in >> pid && pid > 0 ? static_cast<pid_t>(pid) : 0;
}

std::vector<std::string> PostgresServer::as_server_user(std::vector<std::string> argv) const {
  if (::geteuid() != 0) return argv;
  std::vector<std::string> prefixed{tools().runuser, "-u", tools().user, "--"};
  prefixed.insert(prefixed.end(), argv.begin(), argv.end());
  return prefixed;
}

std::vector<std::string> PostgresServer::pg_ctl(std::vector<std::string> args) const {
  std::vector<std::string> argv{tools().pg_ctl, "-D", data_dir_};
  argv.insert(argv.end(), args.begin(), args.end());
  return as_server_user(std::move(argv));
}

std::string PostgresServer::run_psql(const std::string& db, const std::vector<std::string>& commands) const {
  std::vector<std::string> argv{tools().psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                                "-p", std::to_string(port_), "-U", kAdmin, "-d", db};
  for (const auto& command : commands) {
    argv.push_back("-c");
    argv.push_back(command);
  }
  const Completed done = run(argv, kPsqlTimeout);
  if (!done.ok()) throw std::runtime_error("psql -d " + db + ": " + done.describe() + ": " + tail(done.err));
  return done.out;
}

}  // namespace grayling::test
