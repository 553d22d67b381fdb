#include "grayling/daemon.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <fstream>

#include "asio.hpp"
#include "buffered_fd_sink.hpp"
#include "grayling/decision_service.hpp"
#include "grayling/instance_lock.hpp"
#include "grayling/open_store.hpp"
#include "grayling/options.hpp"
#include "grayling/server.hpp"
#include "grayling/systemd_notify.hpp"

namespace grayling {

namespace {

int syslog_facility(const std::string& name) {
  if (name == "daemon") return LOG_DAEMON;
  if (name == "user") return LOG_USER;
  if (name.size() == 6 && name.starts_with("local")) return LOG_LOCAL0 + ((name[5] - '0') << 3);
  return LOG_MAIL;
}

void configure_logging(const LogSettings& settings) {
  // Foreground daemon: stderr, which systemd's journal captures (and timestamps). --syslog
  // adds syslog, so lines can land in mail.log next to Postfix's (postgrey #98).
  std::vector<spdlog::sink_ptr> sinks{std::make_shared<BufferedFdSink>(STDERR_FILENO)};
  sinks.front()->set_pattern("%Y-%m-%d %H:%M:%S.%e %l: %v");
  if (settings.syslog) {
    auto sink =
        std::make_shared<spdlog::sinks::syslog_sink_mt>("grayling", LOG_PID, syslog_facility(settings.syslog_facility), true);
    sink->set_pattern("%v");
    sinks.push_back(sink);
  }
  auto logger = std::make_shared<spdlog::logger>("grayling", sinks.begin(), sinks.end());
  logger->set_level(settings.verbosity >= 3 ? spdlog::level::debug : spdlog::level::info);
  spdlog::set_default_logger(logger);
  // One line per decision is the hot path's only write besides the database: buffer them.
  // Sessions ask for a flush after answering (one write per event-loop round, see
  // Server), flush_log_regularly() catches the rest; warnings and errors go out at once.
  logger->flush_on(spdlog::level::warn);
}

/// The database directory is private: triplets reveal who mails whom.
void prepare_dbdir(const std::string& dbdir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dbdir, ec)) return;
  if (::mkdir(dbdir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw StoreError("cannot create database directory " + dbdir + ": " + std::strerror(errno));
  }
}

/// Opens the store; a database found corrupt (or asked to be discarded after corruption
/// was found at run time) is moved aside and a fresh one created, so mail keeps flowing.
std::unique_ptr<Store> open_recovering(const StoreSettings& settings, bool discard) {
  const std::string uri = settings.store_uri();
  const bool is_sqlite = uri.starts_with("sqlite:");
  if (discard && is_sqlite) {
    const std::string aside = move_database_aside(uri.substr(7));
    spdlog::critical("moved the corrupt database to {}; starting a new one (triplets are greylisted afresh)", aside);
  }
  try {
    return open_store(uri, settings.sync);
  } catch (const StoreError& e) {
    if (!e.corrupt() || !is_sqlite) throw;
    const std::string aside = move_database_aside(uri.substr(7));
    spdlog::critical("database {} is corrupt ({}); moved it to {} and started a new one", uri.substr(7), e.what(),
                     aside);
    return open_store(uri, settings.sync);
  }
}

/// Builds an engine with freshly read whitelists; every bad line is logged, none is fatal.
std::shared_ptr<const PolicyEngine> build_engine(const Config& config) {
  std::vector<WhitelistIssue> issues;
  Whitelists whitelists = load_whitelists(config.whitelist_clients, config.whitelist_recipients, issues);
  for (const auto& issue : issues) spdlog::warn("whitelist {}", issue.describe());
  spdlog::info("whitelists: {} client entries, {} recipient entries", whitelists.clients.size(),
               whitelists.recipients.size());
  return std::make_shared<const PolicyEngine>(config.engine, std::move(whitelists));
}

/// Drops root after the listeners are bound (they may need privileged ports or paths).
void drop_privileges(const Config& config) {
  if (config.user.empty() && config.group.empty()) return;
  if (::geteuid() != 0) {
    spdlog::warn("--user/--group ignored: not started as root");
    return;
  }
  gid_t gid = 0;
  uid_t uid = 0;
  const passwd* user = config.user.empty() ? nullptr : ::getpwnam(config.user.c_str());
  if (!config.user.empty() && !user) throw std::runtime_error("unknown user '" + config.user + "'");
  if (user) gid = user->pw_gid, uid = user->pw_uid;
  if (!config.group.empty()) {
    const group* named = ::getgrnam(config.group.c_str());
    if (!named) throw std::runtime_error("unknown group '" + config.group + "'");
    gid = named->gr_gid;
  }
  // The database directory must be the daemon's own, or SQLite cannot create its files.
  if (config.store.uri.empty() && ::chown(config.store.dbdir.c_str(), user ? uid : static_cast<uid_t>(-1), gid) != 0) {
    throw std::runtime_error("cannot hand " + config.store.dbdir + " to the daemon user: " + std::strerror(errno));
  }
  if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0) {
    throw std::runtime_error(std::string("cannot set group: ") + std::strerror(errno));
  }
  if (user && (::initgroups(user->pw_name, gid) != 0 || ::setuid(uid) != 0)) {
    throw std::runtime_error(std::string("cannot set user: ") + std::strerror(errno));
  }
  spdlog::info("running as uid {} gid {}", ::getuid(), ::getgid());
}

/// Each Postfix smtpd holds a connection: use all the descriptors we are allowed, and warn
/// when --max-connections cannot be reached.
void raise_descriptor_limit(std::size_t max_connections) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  constexpr std::size_t kReserve = 64;  // listeners, database, logs
  if (limit.rlim_cur != RLIM_INFINITY && max_connections + kReserve > limit.rlim_cur) {
    spdlog::warn("file descriptor limit {} allows only about {} connections (--max-connections={}); raise "
                 "LimitNOFILE",
                 limit.rlim_cur, limit.rlim_cur > kReserve ? limit.rlim_cur - kReserve : 0, max_connections);
  }
}

/// Writes --pidfile and removes it again when the daemon ends.
class PidFile {
 public:
  explicit PidFile(std::string path) : path_(std::move(path)) {
    if (path_.empty()) return;
    std::ofstream file(path_);
    file << ::getpid() << '\n';
    if (!file) throw std::runtime_error("cannot write pid file " + path_);
  }
  ~PidFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;

 private:
  std::string path_;
};

/// Everything SIGHUP needs: re-read the configuration, rebuild the engine, swap it in only
/// if that all worked. Listeners, the store and privileges need a restart.
void reload(const Config& running, const ConfigReader& reread, DecisionService& service,
            const SystemdNotifier& systemd) {
  spdlog::info("HUP received: reloading configuration and whitelists");
  systemd.notify("RELOADING=1");
  struct ReadyAgain {  // READY=1 again on every way out
    const SystemdNotifier& systemd;
    ~ReadyAgain() { systemd.notify("READY=1"); }
  } ready_again{systemd};
  std::string errors;
  std::optional<Config> fresh = reread ? reread(errors) : std::optional<Config>(running);
  if (!fresh) {
    spdlog::error("reload failed, keeping the running configuration: {}", errors);
    return;
  }
  if (fresh->server.listeners != running.server.listeners || fresh->store.store_uri() != running.store.store_uri()) {
    spdlog::warn("reload: listener and store changes take effect only after a restart");
  }
  try {
    service.set_engine(build_engine(*fresh));
    spdlog::info("reload complete");
  } catch (const std::exception& e) {
    spdlog::error("reload failed, keeping the running configuration: {}", e.what());
  }
}

/// Writes buffered log lines every 100 ms, on the I/O thread that produces them.
void flush_log_regularly(asio::steady_timer& timer) {
  timer.expires_after(std::chrono::milliseconds(100));
  timer.async_wait([&timer](const error_code& ec) {
    spdlog::default_logger()->flush();
    if (!ec) flush_log_regularly(timer);
  });
}

/// TERM/INT stop gracefully; HUP reloads.
void watch_signals(asio::signal_set& signals, Server& server, const std::function<void()>& on_hup,
                   const SystemdNotifier& systemd, asio::steady_timer& log_flusher) {
  signals.async_wait([&signals, &server, on_hup, &systemd, &log_flusher](const error_code& ec, int signal_number) {
    if (ec) return;
    if (signal_number == SIGHUP) {
      on_hup();
      watch_signals(signals, server, on_hup, systemd, log_flusher);
      return;
    }
    spdlog::info("{} received: finishing open requests and stopping", strsignal(signal_number));
    systemd.notify("STOPPING=1");
    server.stop();
    signals.cancel();
    log_flusher.cancel();
  });
}

}  // namespace

int run_daemon(const Config& config, ConfigReader reread) {
  configure_logging(config.log);
  for (const auto& notice : config.notices) spdlog::warn("{}", notice);
  ::umask(0077);  // database files 0600; unix sockets get --socketmode explicitly

  const SystemdNotifier systemd;
  raise_descriptor_limit(config.server.max_connections);
  try {
    // Order matters: bind first (privileged ports and paths may need root), then drop
    // privileges, then lock and open the database, so its files belong to the daemon's user.
    asio::io_context io(1);
    Server server(io, config.server, config.log.verbosity);
    server.listen();
    if (config.store.uri.empty()) prepare_dbdir(config.store.dbdir);
    drop_privileges(config);

    std::optional<InstanceLock> lock;
    if (const std::string path = config.store.lock_path(); !path.empty()) lock.emplace(path);
    const StoreSettings& store_settings = config.store;
    // Reopening (after the file was deleted or found corrupt) also re-takes the lock if
    // it went with the files, so a second daemon never shares the new database.
    auto reopen = [&store_settings, &lock](bool discard) {
      if (lock) lock->reclaim_if_lost();
      return open_recovering(store_settings, discard);
    };
    DecisionService service(open_recovering(store_settings, false), build_engine(config), store_settings,
                            DecisionService::system_clock, reopen);
    // Completions come back to the I/O thread in one closure per batch.
    service.set_dispatcher([&io](std::function<void()> completions) { asio::post(io, std::move(completions)); });
    server.start(service);

    PidFile pidfile(config.pidfile);
    asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
    asio::steady_timer log_flusher(io);
    flush_log_regularly(log_flusher);
    watch_signals(signals, server, [&] { reload(config, reread, service, systemd); }, systemd, log_flusher);
    spdlog::info("grayling {} ready: store {}, delay {}s, max-age {}d, retry-window {}h, auto-whitelist {}",
                 grayling_version(), store_settings.store_uri(), config.engine.delay, config.engine.max_age / 86400,
                 config.engine.retry_window / 3600,
                 config.engine.auto_whitelist_clients ? std::to_string(config.engine.auto_whitelist_clients) : "off");
    // Only now, with every listener bound and the store open, may Postfix start after us.
    systemd.notify("READY=1\nSTATUS=accepting policy requests");
    spdlog::default_logger()->flush();

    io.run();
    service.stop();  // everything answered has been committed; this drains the rest
    spdlog::info("grayling stopped");
    spdlog::default_logger()->flush();
    spdlog::shutdown();
    return 0;
  } catch (const StoreError& e) {
    spdlog::critical("cannot use the store: {}", e.what());
  } catch (const ListenError& e) {
    spdlog::critical("{}", e.what());
  } catch (const std::exception& e) {
    spdlog::critical("start-up failed: {}", e.what());
  }
  spdlog::default_logger()->flush();
  spdlog::shutdown();
  return 1;
}

}  // namespace grayling
