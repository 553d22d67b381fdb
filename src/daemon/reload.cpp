#include "reload.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "grayling/config/config_changes.hpp"
#include "grayling/config/configured_engine.hpp"

namespace grayling {

std::shared_ptr<const PolicyEngine> build_engine(const Config& config, const std::vector<std::string>& must_read) {
  auto engine = configured_engine(config, [](const std::string& warning) { spdlog::warn("{}", warning); }, must_read);
  spdlog::info("whitelists: {} client entries, {} recipient entries", engine->whitelists().clients.size(),
               engine->whitelists().recipients.size());
  return engine;
}

SessionSettings session_settings(const Config& config) {
  return SessionSettings{config.server, config.log.verbosity, config.log.json, config.store.timeout_ms,
                         config.store.on_error};
}

void apply_log_level(const LogSettings& settings) {
  spdlog::default_logger()->set_level(settings.verbosity >= 3 ? spdlog::level::debug : spdlog::level::info);
}

Reloader::Reloader(Config running, ConfigReader reread, Server& server, DecisionService& service,
                   const SystemdNotifier& systemd)
    : running_(std::move(running)), reread_(std::move(reread)), server_(server), service_(service), systemd_(systemd) {}

void Reloader::reload() {
  spdlog::info("HUP received: reloading configuration and whitelists");
  systemd_.notify("RELOADING=1");
  struct ReadyAgain {  // READY=1 again on every way out
    const SystemdNotifier& systemd;
    ~ReadyAgain() { systemd.notify("READY=1"); }
  } ready_again{systemd_};

  // Build everything that can fail first; apply only when all of it worked.
  std::string errors;
  std::optional<Config> fresh = reread_ ? reread_(errors) : std::optional<Config>(running_);
  if (!fresh) {
    spdlog::error("reload failed, keeping the running configuration: {}", errors);
    if (metrics_) metrics_->io.reloads_failed.add();
    return;
  }
  std::shared_ptr<const PolicyEngine> engine;
  try {
    engine = build_engine(*fresh, service_.engine()->whitelists().files_read);
  } catch (const std::exception& e) {
    spdlog::error("reload failed, keeping the running configuration and whitelists: {}", e.what());
    if (metrics_) metrics_->io.reloads_failed.add();
    return;
  }
  for (const auto& notice : fresh->notices) spdlog::warn("{}", notice);

  const std::vector<ConfigChange> changes = compare_configs(running_, *fresh);
  std::string applied;
  for (const auto& change : changes) {
    if (change.live) {
      applied += (applied.empty() ? "" : ", ") + change.field;
    } else {
      spdlog::warn("reload: {} changed, but that takes a restart; keeping the running value", change.field);
    }
  }
  Config next = keep_restart_settings(running_, std::move(*fresh));
  next.notices.clear();

  // Between requests (we are on the I/O thread): the engine, the store thread's settings,
  // the sessions' settings and the log level, each swapped whole.
  if (metrics_) {
    metrics_->io.reloads_ok.add();
    metrics_->client_whitelist_entries.set(static_cast<std::int64_t>(engine->whitelists().clients.size()));
    metrics_->recipient_whitelist_entries.set(static_cast<std::int64_t>(engine->whitelists().recipients.size()));
  }
  service_.set_engine(std::move(engine));
  service_.set_settings(next.store);
  server_.reconfigure(session_settings(next));
  apply_log_level(next.log);
  running_ = std::move(next);
  spdlog::info("reload complete: {}", applied.empty() ? "whitelists re-read, no setting changed"
                                                      : "whitelists re-read; changed " + applied);
}

}  // namespace grayling
