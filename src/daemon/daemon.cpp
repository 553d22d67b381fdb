#include "grayling/daemon/daemon.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <spdlog/sinks/syslog_sink.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>

#include "asio.hpp"
#include "buffered_fd_sink.hpp"
#include "grayling/config/options.hpp"
#include "grayling/core/version.hpp"
#include "grayling/daemon/decision_service.hpp"
#include "grayling/daemon/server.hpp"
#include "grayling/daemon/systemd_notify.hpp"
#include "grayling/dns/spf_authority.hpp"
#include "grayling/dns/unbound_resolver.hpp"
#include "grayling/store/store_factory.hpp"
#include "log_format.hpp"
#include "metrics_server.hpp"
#include "reload.hpp"

namespace grayling {

namespace {

/// How long a stop waits for the store thread to save what it holds, after the last
/// client was answered (at most Session::kStopLimit after the signal): under systemd's
/// TimeoutStopSec (30 s in grayling.service), so that the log says why, not a SIGKILL.
constexpr std::chrono::milliseconds kStoreStopLimit{10'000};

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
  sinks.front()->set_formatter(make_log_formatter(LogFormat{.json = settings.json, .priority_prefix = stderr_is_journal()}));
  if (settings.syslog) {
    auto sink =
        std::make_shared<spdlog::sinks::syslog_sink_mt>("grayling", LOG_PID, syslog_facility(settings.syslog_facility), true);
    sink->set_formatter(make_log_formatter(LogFormat{.json = settings.json, .timestamp = false}));
    sinks.push_back(sink);
  }
  auto logger = std::make_shared<spdlog::logger>("grayling", sinks.begin(), sinks.end());
  spdlog::set_default_logger(logger);
  apply_log_level(settings);
  // One line per decision is the hot path's only write besides the database: buffer them.
  // Sessions ask for a flush after answering (one write per event-loop round, see
  // Server), flush_log_regularly() catches the rest; warnings and errors go out at once.
  logger->flush_on(spdlog::level::warn);
}

/// A file store's directory is private: triplets reveal who mails whom.
void prepare_directory(const std::string& directory) {
  std::error_code ec;
  if (std::filesystem::is_directory(directory, ec)) return;
  if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
    throw StoreError("cannot create database directory " + directory + ": " + std::strerror(errno));
  }
}

/// The user and group to run as (--user, --group), resolved while names can still be read.
struct Identity {
  std::string user;  // empty: keep the user, change only the group
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
};

std::optional<Identity> resolve_identity(const Config& config) {
  if (config.user.empty() && config.group.empty()) return std::nullopt;
  if (::geteuid() != 0) {
    spdlog::warn("--user/--group ignored: not started as root");
    return std::nullopt;
  }
  Identity identity;
  if (!config.user.empty()) {
    const passwd* user = ::getpwnam(config.user.c_str());
    if (!user) throw std::runtime_error("unknown user '" + config.user + "'");
    identity.user = user->pw_name;
    identity.uid = user->pw_uid;
    identity.gid = user->pw_gid;
  }
  if (!config.group.empty()) {
    const group* named = ::getgrnam(config.group.c_str());
    if (!named) throw std::runtime_error("unknown group '" + config.group + "'");
    identity.gid = named->gr_gid;
  }
  return identity;
}

/// Drops root after the listeners are bound (they may need privileged ports or paths) and
/// the pid file is written (it may live in root's /run).
void drop_privileges(const Identity& identity, const std::optional<std::string>& store_directory) {
  // A file store's directory must be the daemon's own, or it cannot create its files.
  if (store_directory && ::chown(store_directory->c_str(), identity.uid, identity.gid) != 0) {
    throw std::runtime_error("cannot hand " + *store_directory + " to the daemon user: " + std::strerror(errno));
  }
  if (::setgroups(0, nullptr) != 0 || ::setgid(identity.gid) != 0) {
    throw std::runtime_error(std::string("cannot set group: ") + std::strerror(errno));
  }
  if (!identity.user.empty() &&
      (::initgroups(identity.user.c_str(), identity.gid) != 0 || ::setuid(identity.uid) != 0)) {
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

/// Writes --pidfile and removes it again when the daemon ends. Written as root, before
/// privileges are dropped, as Net::Server does (/run is root's), and handed to the daemon's
/// user: where the directory does not let that user remove the file at exit, it empties
/// it instead, and an empty pid file is plainly stale.
class PidFile {
 public:
  PidFile(std::string path, const std::optional<Identity>& owner) : path_(std::move(path)) {
    if (path_.empty()) return;
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) throw std::runtime_error("cannot write pid file " + path_ + ": " + std::strerror(errno));
    const std::string text = std::to_string(::getpid()) + "\n";
    const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    if (owner && ::fchown(fd, owner->uid, owner->gid) != 0) {
      spdlog::warn("cannot hand pid file {} to the daemon user: {}", path_, std::strerror(errno));
    }
    ::close(fd);
    if (!written) throw std::runtime_error("cannot write pid file " + path_);
  }
  ~PidFile() {
    if (path_.empty() || ::unlink(path_.c_str()) == 0 || errno == ENOENT) return;
    if (::truncate(path_.c_str(), 0) != 0) spdlog::warn("cannot remove pid file {}: {}", path_, std::strerror(errno));
  }
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;

 private:
  std::string path_;
};

/// Tells the administrator what a store recovered from by itself.
void log_store_report(Severity severity, const std::string& message) {
  switch (severity) {
    case Severity::warning:
      spdlog::warn("{}", message);
      break;
    case Severity::error:
      spdlog::error("{}", message);
      break;
    case Severity::critical:
      spdlog::critical("{}", message);
      break;
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
                   const std::function<void()>& on_stop, const SystemdNotifier& systemd,
                   asio::steady_timer& log_flusher) {
  signals.async_wait([&signals, &server, on_hup, on_stop, &systemd, &log_flusher](const error_code& ec,
                                                                                  int signal_number) {
    if (ec) return;
    if (signal_number == SIGHUP) {
      on_hup();
      watch_signals(signals, server, on_hup, on_stop, systemd, log_flusher);
      return;
    }
    spdlog::info("{} received: finishing open requests and stopping", strsignal(signal_number));
    systemd.notify("STOPPING=1");
    server.stop();
    on_stop();
    signals.cancel();
    log_flusher.cancel();
  });
}

}  // namespace

int run_daemon(const Config& config, ConfigReader reread, const ListenFds& passed) {
  // A dead reader of stderr (a pipe to logger, a container log driver) must not kill the
  // daemon: writes then fail with EPIPE and the log sink drops the lines.
  ::signal(SIGPIPE, SIG_IGN);
  configure_logging(config.log);
  for (const auto& notice : config.notices) spdlog::warn("{}", notice);
  if (!passed.ignored.empty()) spdlog::warn("{}", passed.ignored);
  ::umask(0077);  // database files 0600; unix sockets get --socketmode explicitly

  const SystemdNotifier systemd;
  raise_descriptor_limit(config.server.max_connections);
  try {
    // Whitelists first: an explicitly named file that cannot be read stops start-up.
    auto engine = build_engine(config);
    // Order matters: bind first (privileged ports and paths may need root), write the pid
    // file (root's /run), drop privileges, then open the store, so that its files belong
    // to the daemon's user.
    asio::io_context io(1);
    // systemd's sockets are checked before anything else: a foreign descriptor stops start-up.
    const std::vector<InheritedSocket> inherited = identify_inherited_sockets(passed);
    Server server(io, session_settings(config));
    server.listen(inherited);
    const StoreUri store_uri = config.store.store_uri();
    const std::optional<std::string> store_directory = store_uri.directory();
    if (store_directory) prepare_directory(*store_directory);
    const std::optional<Identity> identity = resolve_identity(config);
    PidFile pidfile(config.pidfile, identity);
    if (identity) drop_privileges(*identity, store_directory);

    // --metrics: counted by each thread into its shard, served on this loop. Made before
    // the store thread, so it outlives every count.
    std::unique_ptr<metrics::Metrics> metrics;
    if (config.metrics.port != 0) metrics = std::make_unique<metrics::Metrics>();
    // The daemon owns its store (the default StoreAccess): its lock, its repairs.
    DecisionService service(open_store(store_uri, StoreOptions{.sync = config.store.sync, .report = log_store_report, .access = {}}),
                            std::move(engine), config.store);
    // Completions come back to the I/O thread in one closure per batch.
    service.set_dispatcher([&io](std::function<void()> completions) { asio::post(io, std::move(completions)); });
    // SPF equivalence: libunbound on this loop. Declared after io, so gone before it.
    std::unique_ptr<dns::Resolver> resolver;
    std::unique_ptr<dns::SenderAuthority> spf;
    if (config.spf.equivalence) {
      resolver = dns::make_unbound_resolver(
          io, dns::ResolverSettings{.servers = config.spf.dns_servers,
                                    .timeout = std::chrono::milliseconds(config.spf.dns_timeout_ms)});
      spf = dns::make_spf_authority(*resolver, [](const std::string& message) { spdlog::warn("{}", message); });
    }
    std::unique_ptr<MetricsServer> metrics_server;
    bool started = false;
    if (metrics) {
      metrics->version = kVersion;
      metrics->start_time = DecisionService::system_clock();
      metrics->client_whitelist_entries.set(static_cast<std::int64_t>(service.engine()->whitelists().clients.size()));
      metrics->recipient_whitelist_entries.set(
          static_cast<std::int64_t>(service.engine()->whitelists().recipients.size()));
      service.set_metrics(metrics.get());
      metrics_server = std::make_unique<MetricsServer>(
          io, config.metrics.address, config.metrics.port, *metrics, [&service, &started]() -> std::string {
            if (!started) return "starting";
            if (!service.store_usable()) return "the store is not usable (see the log)";
            return {};
          });
      spdlog::info("metrics on http://{}:{}/metrics", config.metrics.address.find(':') == std::string::npos
                                                          ? config.metrics.address
                                                          : "[" + config.metrics.address + "]",
                   config.metrics.port);
    }
    server.start(service, spf.get(), std::chrono::milliseconds(config.spf.dns_timeout_ms), metrics.get());
    started = true;

    Reloader reloader(config, std::move(reread), server, service, systemd);
    reloader.set_metrics(metrics.get());
    asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
    asio::steady_timer log_flusher(io);
    flush_log_regularly(log_flusher);
    watch_signals(
        signals, server, [&reloader] { reloader.reload(); },
        [&resolver, &metrics_server] {
          if (resolver) resolver->stop();  // requests waiting on DNS go on by network key
          if (metrics_server) metrics_server->stop();
        },
        systemd, log_flusher);
    spdlog::info("grayling {} ready: store {}, delay {}s, max-age {}d, retry-window {}h, auto-whitelist {}, "
                 "spf-equivalence {}",
                 kVersion, store_uri.describe(), config.engine.delay, config.engine.max_age / 86400,
                 config.engine.retry_window / 3600,
                 config.engine.auto_whitelist_clients ? std::to_string(config.engine.auto_whitelist_clients) : "off",
                 !config.spf.equivalence ? std::string("off")
                 : config.spf.dns_servers.empty()
                     ? std::string("on (resolvers of /etc/resolv.conf)")
                     : "on (resolvers " + fmt::format("{}", fmt::join(config.spf.dns_servers, ", ")) + ")");
    // Only now, with every listener bound and the store open, may Postfix start after us.
    systemd.notify("READY=1\nSTATUS=accepting policy requests");
    spdlog::default_logger()->flush();

    io.run();
    // Everything answered in time has been committed; this drains the rest (at most one
    // job per connection). A store that hangs does not hold the stop past the limit:
    // committed rows are safe in it, and what it holds now is lost as a crash would lose
    // it (the clients had their answers).
    if (!service.stop_within(kStoreStopLimit)) {
      spdlog::error("the store did not finish within {} s: stopping without it ({} queued requests not saved)",
                    std::chrono::duration_cast<std::chrono::seconds>(kStoreStopLimit).count(),
                    service.queued_lookups());
      spdlog::default_logger()->flush();
      std::_Exit(EXIT_FAILURE);  // not through the destructors: they would wait for the store thread
    }
    spdlog::info("grayling stopped");
    spdlog::default_logger()->flush();
    spdlog::shutdown();
    return 0;
  } catch (const StoreError& e) {
    spdlog::critical("cannot use the store: {}", e.what());
  } catch (const ListenError& e) {
    spdlog::critical("{}", e.what());
  } catch (const WhitelistError& e) {
    spdlog::critical("{}", e.what());
  } catch (const std::exception& e) {
    spdlog::critical("start-up failed: {}", e.what());
  }
  spdlog::default_logger()->flush();
  spdlog::shutdown();
  return 1;
}

}  // namespace grayling
