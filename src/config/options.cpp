#include "grayling/config/options.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <ostream>

#include "grayling/core/durations.hpp"
#include "grayling/core/version.hpp"

namespace grayling {

namespace {

constexpr std::int64_t kDay = 86400;

/// Raw option values as typed; validated into a Config afterwards so that every problem
/// is reported at once instead of one per run.
struct RawOptions {
  std::vector<std::string> inet;
  std::vector<std::string> unix_paths;
  std::string socket_mode = "0666";
  std::string retry_window = "2";
  std::int64_t delay = 300;
  std::int64_t max_age = 35;
  std::int64_t ipv4cidr = 24;
  std::int64_t ipv6cidr = 64;
  bool lookup_by_host = false;
  bool lookup_by_subnet = false;
  std::string sync = "full";
  std::string store_error_action = "dunno";
  bool verbose = false;
  bool quiet = false;
  bool version = false;
  bool daemonize = false;
  bool man = false;
  std::int64_t auto_whitelist = 5;
  std::int64_t listen_queue_size = 0;
  std::vector<std::string> allow_from;
  std::string store;
  // Numbers that end up in clocks and buffers: read wide, checked against their bounds.
  std::int64_t idle_timeout = 600;
  std::int64_t max_connections = 4096;
  std::int64_t max_request_size = 65536;
  std::int64_t max_line_length = 4096;
  std::int64_t max_attributes = 256;
  std::int64_t expiry_interval = 3600;
  std::int64_t store_timeout = 5000;
  std::string spf_equivalence = "on";
  std::string metrics;
  std::string log_format = "text";
  std::int64_t dns_timeout = 500;
};

void define_options(CLI::App& app, RawOptions& raw, Config& config) {
  app.add_option("-i,--inet", raw.inet, "Listen on TCP [HOST:]PORT; a bare PORT means 127.0.0.1 and ::1 (repeatable)");
  app.add_option("-u,--unix", raw.unix_paths, "Listen on the unix socket PATH (repeatable)");
  app.add_option("--socketmode", raw.socket_mode, "Permissions of unix sockets, octal")->capture_default_str();
  app.add_option("--dbdir", config.store.dbdir, "Directory of the database")->capture_default_str();
  app.add_option("--store", raw.store, "Store URI: sqlite:PATH, postgresql://... (any libpq URI or key=value string) or memory:; "
                 "default sqlite:DBDIR/grayling.db");
  app.add_option("--sync", raw.sync, "Commit durability: full (survives power loss) or normal (survives crashes)")
      ->capture_default_str();
  app.add_option("--delay", raw.delay, "Greylist for N seconds")->capture_default_str();
  app.add_option("--max-age", raw.max_age, "Forget triplets unused for N days")->capture_default_str();
  app.add_option("--retry-window", raw.retry_window, "Allow N days (or Nh hours) for the first retry")
      ->capture_default_str();
  app.add_flag("--lookup-by-subnet", raw.lookup_by_subnet, "Key on the client's network (default)");
  app.add_flag("--lookup-by-host", raw.lookup_by_host, "Key on the client's full address");
  app.add_option("--ipv4cidr", raw.ipv4cidr, "IPv4 prefix length used with --lookup-by-subnet")->capture_default_str();
  app.add_option("--ipv6cidr", raw.ipv6cidr, "IPv6 prefix length used with --lookup-by-subnet")->capture_default_str();
  app.add_option("--greylist-action", config.engine.greylist_action, "Action sent when greylisting")
      ->capture_default_str();
  app.add_option("--greylist-text", config.engine.greylist_text,
                 "Text sent when greylisting; %s = seconds left, %r = recipient domain")
      ->capture_default_str();
  app.add_option("--store-error-action", raw.store_error_action,
                 "Answer when the store fails: dunno (fail open) or tempfail")
      ->capture_default_str();
  app.add_option("--store-timeout", raw.store_timeout,
                 "Answer per --store-error-action when the store has not decided within MS milliseconds")
      ->capture_default_str();
  app.add_option("--idle-timeout", raw.idle_timeout, "Close connections idle for N seconds")->capture_default_str();
  app.add_option("--max-connections", raw.max_connections, "Refuse connections beyond N")->capture_default_str();
  app.add_option("--max-request-size", raw.max_request_size, "Largest request in bytes")->capture_default_str();
  app.add_option("--max-line-length", raw.max_line_length, "Longest request line in bytes")->capture_default_str();
  app.add_option("--max-attributes", raw.max_attributes, "Most attributes in one request")->capture_default_str();
  app.add_option("--expiry-interval", raw.expiry_interval, "Seconds between expiry runs")->capture_default_str();
  app.add_option("--whitelist-clients", config.whitelist_clients.paths,
                 "Client whitelist file, FILE.local read too (repeatable; replaces the default)")
      ->capture_default_str();
  app.add_option("--whitelist-recipients", config.whitelist_recipients.paths,
                 "Recipient whitelist file, FILE.local read too (repeatable; replaces the default)")
      ->capture_default_str();
  // A bare --auto-whitelist-clients means 5 (see with_optional_values); =0 disables.
  app.add_option("--auto-whitelist-clients", raw.auto_whitelist,
                 "Whitelist a client after N passed triplets (bare: 5; 0 disables)")
      ->capture_default_str();
  app.add_flag("--awl-prefix", config.engine.awl_by_prefix,
               "Count the auto-whitelist per /24 or /64 (--ipv4cidr/--ipv6cidr) instead of per address");
  app.add_flag("--privacy", config.engine.privacy, "Store SHA-1 hashes of keys instead of addresses");
  app.add_option("--spf-equivalence", raw.spf_equivalence,
                 "on: a retry from any address the sender's domain authorises by SPF is the same client; off")
      ->capture_default_str()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // the last word wins: a wrapper's default, then yours
  app.add_option("--metrics", raw.metrics,
                 "Serve /metrics, /healthz and /readyz over HTTP on [HOST:]PORT (a bare port: loopback only)");
  app.add_option("--dns-server", config.spf.dns_servers,
                 "Resolver for SPF: IP[:PORT] (repeatable; default: those of /etc/resolv.conf)");
  app.add_option("--dns-timeout", raw.dns_timeout,
                 "A request waits at most MS milliseconds for its SPF check (then: keyed by network)")
      ->capture_default_str();
  app.add_option("--x-greylist-header", config.engine.x_greylist_header,
                 "Header added on the first pass; %t seconds, %v version, %h host, %d date")
      ->capture_default_str();
  app.add_option("--hostname", config.engine.hostname, "Host name for the X-Greylist header (default: this host)");
  app.add_flag("--exim", config.server.close_after_reply, "Close the connection after each answer (Exim readsocket)");
  app.add_option("--listen-queue-size", raw.listen_queue_size, "Listen backlog");
  app.add_flag("-n,--no-action", config.server.no_action, "Decide and log, but never defer (training mode)");
  app.add_option("--allow-from", raw.allow_from, "Only these TCP peers may connect: CIDR[,CIDR...] (repeatable)")
      ->delimiter(',');
  app.add_option("--pidfile", config.pidfile, "Write the process id to this file");
  app.add_option("--user", config.user, "Run as this user after binding (when started as root)");
  app.add_option("--group", config.group, "Run as this group after binding (when started as root)");
  app.add_flag("-d,--daemonize", raw.daemonize, "Accepted for postgrey compatibility; grayling stays in the foreground");
  app.add_flag("--syslog", config.log.syslog, "Also log to syslog (ident grayling)");
  app.add_option("--log-format", raw.log_format,
                 "text (postgrey's lines, the default) or json (one object per line, the same fields)")
      ->capture_default_str();
  app.add_option("--syslog-facility,--syslogfacility,--facility", config.log.syslog_facility,
                 "Syslog facility with --syslog")
      ->capture_default_str();
  app.add_flag("--man", raw.man, "Print this help");
  app.add_flag("-v,--verbose", raw.verbose, "Log more (connections, skipped requests)");
  app.add_flag("-q,--quiet", raw.quiet, "Log less (no per-decision lines)");
  app.add_flag("--version", raw.version, "Print the version and exit");
}

bool syslog_facility_known(const std::string& name) {
  static const char* const kFacilities[] = {"mail",   "daemon", "user",   "local0", "local1", "local2",
                                            "local3", "local4", "local5", "local6", "local7"};
  for (const char* known : kFacilities) {
    if (name == known) return true;
  }
  return false;
}

/// Checks that `value` of `option` lies in [min, max]; records an error naming both
/// bounds otherwise. Every number that reaches a clock or a buffer passes through here:
/// an idle timeout of 10^11 seconds would overflow the clock and close every connection.
bool within(std::vector<std::string>& errors, const char* option, std::int64_t value, std::int64_t min,
            std::int64_t max, const char* unit) {
  if (value >= min && value <= max) return true;
  errors.push_back(fmt::format("{}={}: must be between {} and {}{}", option, value, min, max, unit));
  return false;
}

constexpr std::int64_t kMaxDays = 36500;  // a century: more is a typo

/// Turns raw values into the Config, collecting every error.
std::vector<std::string> validate(const RawOptions& raw, Config& config, bool needs_listener) {
  std::vector<std::string> errors;
  auto& notices = config.notices;

  for (const auto& spec : raw.inet) {
    try {
      for (auto& endpoint : parse_inet_spec(spec)) config.server.listeners.push_back(std::move(endpoint));
    } catch (const EndpointError& e) {
      errors.emplace_back(e.what());
    }
  }
  for (const auto& path : raw.unix_paths) {
    try {
      config.server.listeners.push_back(unix_endpoint(path));
    } catch (const EndpointError& e) {
      errors.emplace_back(e.what());
    }
  }
  if (needs_listener && raw.inet.empty() && raw.unix_paths.empty()) errors.emplace_back("--unix or --inet must be specified (or listening sockets passed by systemd: grayling.socket)");

  try {
    std::size_t used = 0;
    config.server.socket_mode = static_cast<unsigned>(std::stoul(raw.socket_mode, &used, 8));
    if (used != raw.socket_mode.size() || config.server.socket_mode > 07777) throw std::invalid_argument("range");
  } catch (const std::exception&) {
    errors.push_back(fmt::format("--socketmode={}: expected an octal mode such as 0666", raw.socket_mode));
  }

  // postgrey treats 0 as "unset" and silently uses the default; we do the same, but say so.
  auto& engine = config.engine;
  engine.delay = raw.delay;
  if (raw.delay == 0) {
    engine.delay = 300;
    notices.emplace_back("--delay=0 means the default (300 seconds), as in postgrey");
  } else {
    within(errors, "--delay", raw.delay, 0, 365 * kDay, " seconds");
  }
  if (raw.max_age == 0) {
    engine.max_age = 35 * kDay;
    notices.emplace_back("--max-age=0 means the default (35 days), as in postgrey");
  } else if (within(errors, "--max-age", raw.max_age, 0, kMaxDays, " days")) {
    engine.max_age = raw.max_age * kDay;
  }
  if (auto window = parse_retry_window(raw.retry_window); window && *window <= kMaxDays * kDay) {
    engine.retry_window = *window;
  } else {
    errors.push_back(fmt::format("--retry-window={}: expected N (days) or Nh (hours), at most {} days",
                                 raw.retry_window, kMaxDays));
  }

  if (raw.lookup_by_host && raw.lookup_by_subnet) {
    errors.emplace_back("--lookup-by-host and --lookup-by-subnet contradict each other");
  }
  engine.keys.lookup_by_host = raw.lookup_by_host;
  // 0 means the default, as in postgrey.
  engine.keys.ipv4_prefix = within(errors, "--ipv4cidr", raw.ipv4cidr, 0, 32, "") && raw.ipv4cidr != 0
                                ? static_cast<int>(raw.ipv4cidr)
                                : 24;
  engine.keys.ipv6_prefix = within(errors, "--ipv6cidr", raw.ipv6cidr, 0, 128, "") && raw.ipv6cidr != 0
                                ? static_cast<int>(raw.ipv6cidr)
                                : 64;

  if (raw.sync == "full") {
    config.store.sync = SyncMode::full;
  } else if (raw.sync == "normal") {
    config.store.sync = SyncMode::normal;
  } else {
    errors.push_back(fmt::format("--sync={}: expected full or normal", raw.sync));
  }
  if (raw.store_error_action == "dunno") {
    config.store.on_error = StoreErrorAction::dunno;
  } else if (raw.store_error_action == "tempfail") {
    config.store.on_error = StoreErrorAction::tempfail;
  } else {
    errors.push_back(fmt::format("--store-error-action={}: expected dunno or tempfail", raw.store_error_action));
  }

  if (raw.log_format == "json") {
    config.log.json = true;
  } else if (raw.log_format != "text") {
    errors.push_back(fmt::format("--log-format={}: expected text or json", raw.log_format));
  }
  if (raw.spf_equivalence == "on" || raw.spf_equivalence == "yes") {
    config.spf.equivalence = true;
  } else if (raw.spf_equivalence == "off" || raw.spf_equivalence == "no") {
    config.spf.equivalence = false;
  } else {
    errors.push_back(fmt::format("--spf-equivalence={}: expected on or off", raw.spf_equivalence));
  }
  if (within(errors, "--dns-timeout", raw.dns_timeout, 100, 60'000, " ms")) config.spf.dns_timeout_ms = raw.dns_timeout;
  if (!raw.metrics.empty()) {
    // PORT, HOST:PORT or [IPv6]:PORT; the host must be an address (no name lookups here).
    std::string host = "127.0.0.1";
    std::string port = raw.metrics;
    if (raw.metrics.starts_with('[') && raw.metrics.find("]:") != std::string::npos) {
      host = raw.metrics.substr(1, raw.metrics.find("]:") - 1);
      port = raw.metrics.substr(raw.metrics.find("]:") + 2);
    } else if (const auto colon = raw.metrics.rfind(':'); colon != std::string::npos &&
                                                          std::count(raw.metrics.begin(), raw.metrics.end(), ':') == 1) {
      host = raw.metrics.substr(0, colon);
      port = raw.metrics.substr(colon + 1);
    }
    const auto number = parse_count(port);
    if (!IpAddress::parse(host) || !number || *number < 1 || *number > 65535) {
      errors.push_back(fmt::format("--metrics={}: expected PORT, HOST:PORT or [IPv6]:PORT", raw.metrics));
    } else {
      config.metrics.address = host;
      config.metrics.port = static_cast<unsigned short>(*number);
    }
  }
  for (const auto& server : config.spf.dns_servers) {
    // The daemon's resolver checks the form again; here, so a bad one stops start-up.
    const std::string address = server.starts_with('[') ? server.substr(1, server.find(']') - 1)
                                : std::count(server.begin(), server.end(), ':') == 1 ? server.substr(0, server.find(':'))
                                                                                    : server;
    if (!IpAddress::parse(address)) {
      errors.push_back(fmt::format("--dns-server={}: expected IP, IP:PORT or [IPv6]:PORT", server));
    }
  }

  if (within(errors, "--idle-timeout", raw.idle_timeout, 1, 7 * kDay, " seconds")) {
    config.server.idle_timeout_seconds = raw.idle_timeout;
  }
  if (within(errors, "--max-connections", raw.max_connections, 1, 1'000'000, "")) {
    config.server.max_connections = static_cast<std::size_t>(raw.max_connections);
  }
  if (within(errors, "--expiry-interval", raw.expiry_interval, 1, 30 * kDay, " seconds")) {
    config.store.expiry_interval_seconds = raw.expiry_interval;
  }
  if (within(errors, "--store-timeout", raw.store_timeout, 10, 600'000, " milliseconds")) {
    config.store.timeout_ms = raw.store_timeout;
  }
  auto& limits = config.server.limits;
  const bool line_ok = within(errors, "--max-line-length", raw.max_line_length, 64, 1 << 20, " bytes");
  const bool request_ok = within(errors, "--max-request-size", raw.max_request_size, 64, 16 << 20, " bytes");
  if (within(errors, "--max-attributes", raw.max_attributes, 1, 100'000, "")) {
    limits.max_attributes = static_cast<std::size_t>(raw.max_attributes);
  }
  if (line_ok && request_ok) {
    if (raw.max_request_size < raw.max_line_length) {
      errors.push_back(fmt::format("--max-request-size={} is smaller than --max-line-length={}", raw.max_request_size,
                                   raw.max_line_length));
    }
    limits.max_line_bytes = static_cast<std::size_t>(raw.max_line_length);
    limits.max_request_bytes = static_cast<std::size_t>(raw.max_request_size);
  }

  within(errors, "--auto-whitelist-clients", raw.auto_whitelist, 0, 1'000'000, " (0 disables)");
  engine.auto_whitelist_clients = raw.auto_whitelist;
  for (const auto& text : raw.allow_from) {
    if (auto network = IpNetwork::parse(text)) {
      config.server.allow_from.push_back(*network);
    } else {
      errors.push_back(fmt::format("--allow-from={}: expected an address or CIDR network", text));
    }
  }
  for (const auto& listener : config.server.listeners) {
    if (!listener.is_loopback()) {
      notices.push_back(fmt::format("{} is not a loopback address: policy requests will be accepted from the "
                                    "network{}",
                                    listener.describe(), raw.allow_from.empty() ? " (consider --allow-from)" : ""));
    }
  }
  if (within(errors, "--listen-queue-size", raw.listen_queue_size, 0, 65535, "") && raw.listen_queue_size > 0) {
    config.server.listen_backlog = static_cast<int>(raw.listen_queue_size);
  }
  if (!raw.store.empty()) {
    try {
      config.store.uri = StoreUri::parse(raw.store);
    } catch (const StoreUriError& e) {
      errors.emplace_back(e.what());
    }
  }
  if (raw.daemonize) {
    notices.emplace_back("--daemonize ignored: grayling runs in the foreground; let systemd (or start-stop-daemon "
                         "--background) manage it");
  }
  if (config.log.syslog && !syslog_facility_known(config.log.syslog_facility)) {
    errors.push_back(fmt::format("--syslog-facility={}: unknown facility", config.log.syslog_facility));
  }
  if (engine.hostname.empty()) {
    char name[256] = "localhost";
    gethostname(name, sizeof name - 1);
    engine.hostname = name;
  }
  engine.version = std::string(kVersion);

  config.log.verbosity = raw.verbose ? 3 : raw.quiet ? 1 : 2;
  return errors;
}

}  // namespace

std::vector<std::string> option_names() {
  Config config;
  RawOptions raw;
  CLI::App app;
  define_options(app, raw, config);
  std::vector<std::string> names;
  for (const CLI::Option* option : app.get_options()) {
    if (!option->get_lnames().empty() && option->get_lnames().front() != "help") {
      names.push_back(option->get_lnames().front());
    }
  }
  return names;
}

/// postgrey's Getopt spec has one option with an optional value: a bare
/// --auto-whitelist-clients means 5. CLI11 has no such thing, so spell the value out.
std::vector<std::string> with_optional_values(int argc, const char* const* argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--auto-whitelist-clients") arg += "=5";
    args.push_back(std::move(arg));
  }
  std::reverse(args.begin(), args.end());  // CLI11's parse(vector) takes them in reverse
  return args;
}

struct DaemonOptions::State {
  RawOptions raw;
  Config config;
  bool needs_listener = true;
};

DaemonOptions::DaemonOptions(CLI::App& app, Reader reader) : state_(std::make_unique<State>()), app_(app) {
  state_->needs_listener = reader == Reader::daemon;
  state_->config.engine.hostname.clear();  // filled in from gethostname() unless given
  define_options(app, state_->raw, state_->config);
  app.set_config("--config", "", "Read options from this INI/TOML file; the command line overrides it");
  app.allow_config_extras(CLI::config_extras_mode::error);  // a misspelt key must not pass silently
}

DaemonOptions::~DaemonOptions() = default;

void DaemonOptions::accept_passed_sockets() { state_->needs_listener = false; }

bool DaemonOptions::wants_version() const { return state_->raw.version; }
bool DaemonOptions::wants_help() const { return state_->raw.man; }

std::optional<Config> DaemonOptions::config(std::ostream& err, std::string_view program) {
  Config config = state_->config;
  if (auto* config_option = app_.get_option_no_throw("--config"); config_option && config_option->count()) {
    config.config_file = config_option->as<std::string>();
  }
  config.whitelist_clients.named = app_.get_option("--whitelist-clients")->count() > 0;
  config.whitelist_recipients.named = app_.get_option("--whitelist-recipients")->count() > 0;
  const auto errors = validate(state_->raw, config, state_->needs_listener);
  if (errors.empty()) return config;
  for (const auto& error : errors) err << program << ": " << error << '\n';
  err << "Run with --help for more information.\n";
  return std::nullopt;
}

ParsedOptions parse_options(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
                            bool sockets_passed) {
  CLI::App app{"grayling: a greylisting policy server for Postfix", "grayling"};
  app.get_formatter()->column_width(36);
  DaemonOptions options(app);
  if (sockets_passed) options.accept_passed_sockets();
  try {
    app.parse(with_optional_values(argc, argv));
  } catch (const CLI::ParseError& e) {
    return {std::nullopt, app.exit(e, out, err)};
  }
  if (options.wants_help()) {
    out << app.help();
    return {std::nullopt, 0};
  }
  if (options.wants_version()) {
    out << "grayling " << kVersion << '\n';
    return {std::nullopt, 0};
  }
  auto config = options.config(err, "grayling");
  if (!config) return {std::nullopt, 2};
  return {std::move(*config), 0};
}

}  // namespace grayling
