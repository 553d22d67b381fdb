#pragma once
/// Everything the daemon is told: the command line and config file, grouped by the layer
/// that uses each setting. A reload builds a new Config and compares it field by field
/// with the running one (config_changes.hpp).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "grayling/core/decision.hpp"
#include "grayling/core/ip_address.hpp"
#include "grayling/core/listen_endpoint.hpp"
#include "grayling/core/policy_engine.hpp"
#include "grayling/core/request_parser.hpp"
#include "grayling/store/store.hpp"
#include "grayling/store/store_uri.hpp"

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
  friend bool operator==(const ServerSettings&, const ServerSettings&) = default;
};

/// Where state lives, and how the store thread uses it.
struct StoreSettings {
  std::string dbdir = "/var/lib/grayling";
  std::optional<StoreUri> uri;            // --store; unset: sqlite in dbdir
  SyncMode sync = SyncMode::full;
  std::int64_t expiry_interval_seconds = 3600;
  // Rows deleted per transaction. Keys are digests, so each row is on its own page: small
  // batches keep every commit (and the requests queued behind it) short.
  std::size_t expiry_batch_rows = 200;
  std::size_t max_batch_requests = 4096;  // requests per group-commit transaction
  StoreErrorAction on_error = StoreErrorAction::dunno;
  // A decision not back by then is answered per on_error (the write still commits). Far
  // below Postfix's smtpd_policy_service_timeout (100 s), above SQLite's busy timeout (1 s)
  // and a few fsyncs of a slow disk: only a store that has truly stalled reaches it.
  std::int64_t timeout_ms = 5000;

  /// The store in use: --store, or DBDIR/grayling.db.
  [[nodiscard]] StoreUri store_uri() const { return uri ? *uri : StoreUri::sqlite_in(dbdir); }
};

/// Client equivalence by SPF: a retry from any address the sender's domain authorises is
/// the same client. Built at start-up (the resolver is made once).
struct SpfSettings {
  bool equivalence = true;                // --spf-equivalence=on|off
  std::vector<std::string> dns_servers;   // --dns-server IP[:PORT]; empty: /etc/resolv.conf's
  // A question, and a request's whole SPF check, get this long; then the request keys by
  // network (the check goes on, and the sender's retry finds the answers cached).
  std::int64_t dns_timeout_ms = 500;
  friend bool operator==(const SpfSettings&, const SpfSettings&) = default;
};

/// The --metrics HTTP endpoint; off unless a port is given.
struct MetricsSettings {
  std::string address = "127.0.0.1";  // a bare port means loopback only
  unsigned short port = 0;             // 0: off
  friend bool operator==(const MetricsSettings&, const MetricsSettings&) = default;
};

/// Where log lines go.
struct LogSettings {
  int verbosity = 2;                      // postgrey's levels: 1 quiet, 2 normal, 3 verbose
  bool syslog = false;                    // also to syslog (ident "grayling")
  std::string syslog_facility = "mail";
  bool json = false;                      // --log-format=json: one JSON object per line
};

/// Whitelist files of one kind, each read with its FILE.local.
struct WhitelistFiles {
  std::vector<std::string> paths;
  // Named on the command line or in the config file: then a file that cannot be read is
  // an error, not the warning a missing default file gets.
  bool named = false;
  friend bool operator==(const WhitelistFiles&, const WhitelistFiles&) = default;
};

/// The whole configuration.
struct Config {
  ServerSettings server;
  StoreSettings store;
  EngineSettings engine;
  SpfSettings spf;
  MetricsSettings metrics;
  LogSettings log;
  WhitelistFiles whitelist_clients{{"/etc/grayling/whitelist_clients"}};
  WhitelistFiles whitelist_recipients{{"/etc/grayling/whitelist_recipients"}};
  std::string pidfile;
  std::string user;                       // drop privileges to this user after binding
  std::string group;
  std::string config_file;                // --config, re-read on SIGHUP
  std::vector<std::string> notices;       // things to tell the admin once logging is up
};

}  // namespace grayling
