/// Command-line parsing for grayling-bench (--name=value only; no dependencies).

#include "bench_options.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string_view>

#include "names.hpp"

namespace bench {

namespace {

// Open loop: a connection keeps one request in flight, so it carries at most 1/latency
// requests/s. By default --rate gets one connection per 100 requests/s (a request queues
// behind the previous one only when a reply takes more than ~10 ms), at least the usual 8;
// above 1000 requests/s per connection (latency 1 ms) the schedule is likely not kept.
constexpr double kDefaultRatePerConnection = 100;
constexpr double kWarnRatePerConnection = 1000;
constexpr unsigned kMaxDefaultConnections = 512;
constexpr double kMinRate = 0.001;
constexpr double kMaxRate = 1e9;

constexpr const char* kUsage = R"(usage:
  grayling-bench --connect=ENDPOINT [--workload=new|known|whitelisted|mix] [options]
  grayling-bench --serve=ENDPOINT          DUNNO-only baseline server (until SIGTERM/SIGINT)
  grayling-bench --wait-connect=ENDPOINT   wait until ENDPOINT accepts (--timeout), print when
  grayling-bench --print-whitelist         the client whitelist line the daemon needs

ENDPOINT is HOST:PORT, [V6]:PORT or unix:PATH.

load options:
  --connections=N     persistent connections, one request in flight on each (8; with
                      --rate, one per 100 requests/s, at least 8)
  --rate=R            open loop: R requests/s in total, due at fixed intervals of 1/R s
                      and dealt to the connections in turn; a request due on a connection
                      that still waits for a reply is sent after that reply; latency is
                      counted from when the request was due (0: closed loop, the default:
                      every connection sends its next request as soon as a reply is in)
  --threads=N         client threads sharing the connections (1)
  --duration=S        seconds measured (10), or
  --requests=N        measured requests
  --warmup=S          seconds run but not measured (1)
  --timeout=S         a reply later than this is counted lost, the connection reopened (10)
  --interval=S        also print rps/p50/p99 every S seconds of the measured window
  --known=K           size of the known set for known and mix (10000)
  --delay=S           the daemon's --delay: known-set setup waits it out (1)
  --known-preloaded   the known set is already in the database (grayling-bulk-load with
                      the same --tag): no setup, requests spread over all K
  --skip-setup        the target does not greylist (baseline): no known-set setup
  --tag=LETTERS       name tag of this run's triplets (random by default)
  --label=NAME        name of the server under test, copied into the JSON
  --server-pid=PID    also report that process's CPU use over the measured window
  --quiet             print the JSON summary line only
)";

double to_double(std::string_view name, const std::string& value) {
  std::size_t used = 0;
  const double number = std::stod(value, &used);
  if (used != value.size() || number < 0) throw std::invalid_argument(std::string(name));
  return number;
}

std::uint64_t to_count(std::string_view name, const std::string& value) {
  std::size_t used = 0;
  const unsigned long long number = std::stoull(value, &used);
  if (used != value.size() || value.starts_with('-')) throw std::invalid_argument(std::string(name));
  return number;
}

std::string random_tag() {
  std::random_device device;
  std::string tag;
  append_letters(tag, (static_cast<std::uint64_t>(device()) << 32 | device()) % 308915776ULL);  // 26^6
  return tag;
}

Workload parse_workload(const std::string& value) {
  if (value == "new") return Workload::fresh;
  if (value == "known") return Workload::known;
  if (value == "whitelisted") return Workload::whitelisted;
  if (value == "mix") return Workload::mix;
  throw std::invalid_argument("workload");
}

}  // namespace

const char* workload_name(Workload workload) {
  switch (workload) {
    case Workload::fresh: return "new";
    case Workload::known: return "known";
    case Workload::whitelisted: return "whitelisted";
    case Workload::mix: return "mix";
  }
  return "?";
}

std::optional<Options> parse_options(int argc, char** argv, int& exit_code) {
  Options options;
  bool connections_given = false;
  exit_code = 2;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      exit_code = 0;
      return std::nullopt;
    }
    const std::size_t equals = arg.find('=');
    const std::string name(arg.substr(0, equals));
    const std::string value = equals == std::string_view::npos ? "" : std::string(arg.substr(equals + 1));
    try {
      if (name == "--print-whitelist") options.print_whitelist = true;
      else if (name == "--known-preloaded") options.known_preloaded = true;
      else if (name == "--skip-setup") options.skip_setup = true;
      else if (name == "--quiet") options.quiet = true;
      else if (equals == std::string_view::npos) throw std::invalid_argument(name);
      else if (name == "--serve") options.serve = value;
      else if (name == "--wait-connect") options.wait_connect = value;
      else if (name == "--connect") options.connect = value;
      else if (name == "--workload") options.workload = parse_workload(value);
      else if (name == "--connections") {
        options.connections = static_cast<unsigned>(to_count(name, value));
        connections_given = true;
      }
      else if (name == "--rate") options.rate = to_double(name, value);
      else if (name == "--threads") options.threads = static_cast<unsigned>(to_count(name, value));
      else if (name == "--duration") options.duration = to_double(name, value);
      else if (name == "--requests") options.requests = to_count(name, value);
      else if (name == "--warmup") options.warmup = to_double(name, value);
      else if (name == "--timeout") options.timeout = to_double(name, value);
      else if (name == "--interval") options.interval = to_double(name, value);
      else if (name == "--known") options.known = to_count(name, value);
      else if (name == "--delay") options.delay = static_cast<std::int64_t>(to_count(name, value));
      else if (name == "--tag") options.tag = value;
      else if (name == "--label") options.label = value;
      else if (name == "--server-pid") options.server_pid = static_cast<int>(to_count(name, value));
      else throw std::invalid_argument(name);
    } catch (const std::exception&) {
      std::fprintf(stderr, "grayling-bench: bad option '%.*s' (see --help)\n", static_cast<int>(arg.size()), arg.data());
      return std::nullopt;
    }
  }
  const bool generating = !options.connect.empty();
  if (generating + !options.serve.empty() + !options.wait_connect.empty() + options.print_whitelist != 1) {
    std::fputs("grayling-bench: give exactly one of --connect, --serve, --wait-connect, --print-whitelist\n", stderr);
    return std::nullopt;
  }
  if (options.tag.empty()) options.tag = random_tag();
  for (const char c : options.tag) {
    if (c < 'a' || c > 'z') {
      std::fputs("grayling-bench: --tag must be lower-case letters only\n", stderr);
      return std::nullopt;
    }
  }
  if (options.rate != 0 && !(std::isfinite(options.rate) && options.rate >= kMinRate && options.rate <= kMaxRate)) {
    std::fputs("grayling-bench: --rate must be a finite number of requests/s from 0.001 to 1e9 (0: closed loop)\n",
               stderr);
    return std::nullopt;
  }
  if (options.rate > 0 && !connections_given) {
    const double wanted = std::ceil(options.rate / kDefaultRatePerConnection);
    options.connections = static_cast<unsigned>(
        std::clamp(wanted, static_cast<double>(options.connections), static_cast<double>(kMaxDefaultConnections)));
  }
  if (generating && (options.connections == 0 || options.threads == 0 || options.threads > options.connections)) {
    std::fputs("grayling-bench: need 1 <= --threads <= --connections\n", stderr);
    return std::nullopt;
  }
  const bool needs_known = options.workload == Workload::known || options.workload == Workload::mix;
  if (generating && needs_known && options.known == 0) {
    std::fputs("grayling-bench: --known must be at least 1\n", stderr);
    return std::nullopt;
  }
  if (generating && options.rate / options.connections > kWarnRatePerConnection) {
    std::fprintf(stderr,
                 "grayling-bench: warning: --rate=%g over %u connections is %.0f requests/s on each, which only "
                 "replies faster than %.0f us keep up with; give --connections=%.0f or more\n",
                 options.rate, options.connections, options.rate / options.connections,
                 1e6 * options.connections / options.rate, std::ceil(options.rate / kWarnRatePerConnection));
  }
  exit_code = 0;
  return options;
}

}  // namespace bench
