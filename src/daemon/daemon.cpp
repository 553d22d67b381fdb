#include "grayling/daemon.hpp"

#include <sys/stat.h>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>

#include "asio.hpp"
#include "grayling/decision_service.hpp"
#include "grayling/open_store.hpp"
#include "grayling/options.hpp"
#include "grayling/server.hpp"

namespace grayling {

namespace {

void configure_logging(int verbosity) {
  // Foreground daemon: stderr, which systemd's journal captures (and timestamps).
  auto logger = spdlog::stderr_logger_mt("grayling");
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %l: %v");
  logger->set_level(verbosity >= 3 ? spdlog::level::debug : spdlog::level::info);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

/// The database directory is private: triplets reveal who mails whom.
void prepare_dbdir(const std::string& dbdir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dbdir, ec)) return;
  if (::mkdir(dbdir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw StoreError("cannot create database directory " + dbdir + ": " + std::strerror(errno));
  }
}

/// Waits for signals: TERM/INT stop gracefully; HUP is acknowledged.
void watch_signals(asio::signal_set& signals, Server& server) {
  signals.async_wait([&signals, &server](const error_code& ec, int signal_number) {
    if (ec) return;
    if (signal_number == SIGHUP) {
      spdlog::info("SIGHUP received: nothing to reload in this version");
      watch_signals(signals, server);
      return;
    }
    spdlog::info("{} received: finishing open requests and stopping", strsignal(signal_number));
    server.stop();
    signals.cancel();
  });
}

}  // namespace

int run_daemon(const Config& config) {
  configure_logging(config.verbosity);
  for (const auto& notice : config.notices) spdlog::warn("{}", notice);
  ::umask(0077);  // database files 0600; unix sockets get --socketmode explicitly

  try {
    if (config.store.uri.empty()) prepare_dbdir(config.store.dbdir);
    const std::string uri = config.store.store_uri();
    auto store = open_store(uri, config.store.sync);
    PolicyEngine engine(config.engine);
    DecisionService service(std::move(store), engine, config.store);

    asio::io_context io(1);
    Server server(io, config.server, engine, service, config.verbosity);
    server.listen();
    asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
    watch_signals(signals, server);
    spdlog::info("grayling {} ready: store {}, delay {}s, max-age {}d, retry-window {}h", grayling_version(), uri,
                 config.engine.delay, config.engine.max_age / 86400, config.engine.retry_window / 3600);

    io.run();
    service.stop();  // everything answered has been committed; this drains the rest
    spdlog::info("grayling stopped");
    return 0;
  } catch (const StoreError& e) {
    spdlog::critical("cannot use the store: {}", e.what());
  } catch (const ListenError& e) {
    spdlog::critical("{}", e.what());
  } catch (const std::exception& e) {
    spdlog::critical("start-up failed: {}", e.what());
  }
  return 1;
}

}  // namespace grayling
