#pragma once
/// Everything the daemon is told at start-up, grouped by the layer that uses it.

#include <cstdint>
#include <string>
#include <vector>

#include "grayling/ip_address.hpp"
#include "grayling/listen_endpoint.hpp"
#include "grayling/policy_engine.hpp"
#include "grayling/request_parser.hpp"
#include "grayling/store.hpp"

namespace grayling {

/// Sockets, per-connection limits and protocol variants.
struct ServerSettings {
  std::vector<ListenEndpoint> listeners;
  unsigned socket_mode = 0666;            // chmod of unix sockets (postgrey's --socketmode)
  int listen_backlog = 512;
  ParserLimits limits;
  // Postfix closes idle policy connections after 300 s (smtpd_policy_service_max_idle);
  // ours is longer so Postfix, not we, normally ends an idle connection.
  std::int64_t idle_timeout_seconds = 600;
  std::size_t max_connections = 4096;
  bool close_after_reply = false;         // --exim: one answer per connection
  bool no_action = false;                 // --no-action: decide and log, but never defer
  std::vector<IpNetwork> allow_from;      // TCP peers allowed to connect; empty: all
};

/// What to answer when the store cannot be used.
enum class StoreErrorAction {
  dunno,     // fail open: mail flows ungreylisted while the store is broken
  tempfail,  // fail closed: Postfix defers with 451 until the store is back
};

/// Where state lives and how it is kept tidy.
struct StoreSettings {
  std::string dbdir = "/var/lib/grayling";
  std::string uri;                        // empty: "sqlite:<dbdir>/grayling.db"
  SyncMode sync = SyncMode::full;
  std::int64_t expiry_interval_seconds = 3600;
  // Rows deleted per transaction. Keys are digests, so each row is on its own page: small
  // batches keep every commit (and the requests queued behind it) short.
  std::size_t expiry_batch_rows = 200;
  std::size_t max_batch_requests = 4096;  // requests per group-commit transaction
  StoreErrorAction on_error = StoreErrorAction::dunno;

  [[nodiscard]] std::string store_uri() const { return uri.empty() ? "sqlite:" + dbdir + "/grayling.db" : uri; }
  /// The file that keeps a second daemon off this store; empty for memory:. Not named
  /// grayling.db.lock, so that "rm grayling.db*" leaves it alone.
  [[nodiscard]] std::string lock_path() const {
    if (uri.empty()) return dbdir + "/grayling.lock";
    return uri.starts_with("sqlite:") ? uri.substr(7) + ".lock" : std::string();
  }
};

/// Where log lines go.
struct LogSettings {
  int verbosity = 2;                      // postgrey's levels: 1 quiet, 2 normal, 3 verbose
  bool syslog = false;                    // also to syslog (ident "grayling")
  std::string syslog_facility = "mail";
};

/// The whole start-up configuration.
struct Config {
  ServerSettings server;
  StoreSettings store;
  EngineSettings engine;
  LogSettings log;
  std::vector<std::string> whitelist_clients{"/etc/grayling/whitelist_clients"};
  std::vector<std::string> whitelist_recipients{"/etc/grayling/whitelist_recipients"};
  std::string pidfile;
  std::string user;                       // drop privileges to this user after binding
  std::string group;
  std::string config_file;                // --config, re-read on SIGHUP
  std::vector<std::string> notices;       // things to tell the admin once logging is up
};

}  // namespace grayling
