#include "grayling/config/config_changes.hpp"

#include <functional>

namespace grayling {

namespace {

/// How one setting is compared and, if it takes a restart, kept.
struct Field {
  const char* name;
  bool live;
  std::function<bool(const Config&, const Config&)> same;
  std::function<void(Config&, const Config&)> keep;  // copies the setting from the second
};

template <auto Group, auto Member>
Field field(const char* name, bool live) {
  return Field{name, live,
               [](const Config& a, const Config& b) { return (a.*Group).*Member == (b.*Group).*Member; },
               [](Config& into, const Config& from) { (into.*Group).*Member = (from.*Group).*Member; }};
}

template <auto Member>
Field top_level(const char* name, bool live) {
  return Field{name, live, [](const Config& a, const Config& b) { return a.*Member == b.*Member; },
               [](Config& into, const Config& from) { into.*Member = from.*Member; }};
}

constexpr bool kLive = true;
constexpr bool kRestart = false;

const std::vector<Field>& fields() {
  using C = Config;
  static const std::vector<Field> table{
      field<&C::server, &ServerSettings::listeners>("inet/unix", kRestart),
      field<&C::server, &ServerSettings::socket_mode>("socketmode", kRestart),
      field<&C::server, &ServerSettings::listen_backlog>("listen-queue-size", kRestart),
      field<&C::store, &StoreSettings::dbdir>("dbdir", kRestart),
      field<&C::store, &StoreSettings::uri>("store", kRestart),
      field<&C::store, &StoreSettings::sync>("sync", kLive),
      field<&C::engine, &EngineSettings::delay>("delay", kLive),
      field<&C::engine, &EngineSettings::max_age>("max-age", kLive),
      field<&C::engine, &EngineSettings::retry_window>("retry-window", kLive),
      field<&C::engine, &EngineSettings::keys>("lookup-by-host/ipv4cidr/ipv6cidr", kLive),
      field<&C::engine, &EngineSettings::greylist_action>("greylist-action", kLive),
      field<&C::engine, &EngineSettings::greylist_text>("greylist-text", kLive),
      field<&C::store, &StoreSettings::on_error>("store-error-action", kLive),
      field<&C::store, &StoreSettings::timeout_ms>("store-timeout", kLive),
      field<&C::server, &ServerSettings::idle_timeout_seconds>("idle-timeout", kLive),
      field<&C::server, &ServerSettings::max_connections>("max-connections", kLive),
      field<&C::server, &ServerSettings::limits>("max-request-size/max-line-length/max-attributes", kLive),
      field<&C::store, &StoreSettings::expiry_interval_seconds>("expiry-interval", kLive),
      top_level<&C::whitelist_clients>("whitelist-clients", kLive),
      top_level<&C::whitelist_recipients>("whitelist-recipients", kLive),
      field<&C::engine, &EngineSettings::auto_whitelist_clients>("auto-whitelist-clients", kLive),
      field<&C::engine, &EngineSettings::awl_by_prefix>("awl-prefix", kLive),
      field<&C::engine, &EngineSettings::privacy>("privacy", kLive),
      field<&C::engine, &EngineSettings::x_greylist_header>("x-greylist-header", kLive),
      field<&C::engine, &EngineSettings::hostname>("hostname", kLive),
      field<&C::server, &ServerSettings::close_after_reply>("exim", kLive),
      field<&C::server, &ServerSettings::no_action>("no-action", kLive),
      field<&C::server, &ServerSettings::allow_from>("allow-from", kLive),
      top_level<&C::pidfile>("pidfile", kRestart),
      top_level<&C::user>("user", kRestart),
      top_level<&C::group>("group", kRestart),
      field<&C::log, &LogSettings::syslog>("syslog", kRestart),
      field<&C::log, &LogSettings::syslog_facility>("syslog-facility", kRestart),
      field<&C::log, &LogSettings::verbosity>("verbose/quiet", kLive),
      top_level<&C::spf>("spf-equivalence/dns-server/dns-timeout", kRestart),
      top_level<&C::metrics>("metrics", kRestart),
      field<&C::log, &LogSettings::json>("log-format", kRestart),
  };
  return table;
}

}  // namespace

std::vector<ConfigChange> compare_configs(const Config& running, const Config& fresh) {
  std::vector<ConfigChange> changes;
  for (const Field& each : fields()) {
    if (!each.same(running, fresh)) changes.push_back(ConfigChange{each.name, each.live});
  }
  return changes;
}

Config keep_restart_settings(const Config& running, Config fresh) {
  for (const Field& each : fields()) {
    if (!each.live) each.keep(fresh, running);
  }
  return fresh;
}

}  // namespace grayling
