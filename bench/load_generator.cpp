/// grayling-bench: load generator for Postfix policy servers (grayling, postgrey, ...), plus
/// the modes bench/run and bench/scale need around it: the DUNNO baseline server (--serve),
/// waiting for a server to accept (--wait-connect) and the whitelist line (--print-whitelist).
///
/// A run: open N persistent connections (split over --threads epoll loops); for known/mix,
/// set up the known set (greylist every known triplet, wait the daemon's --delay, send them
/// again so they pass; always closed loop); then warm up and measure, closed loop or at
/// --rate. See bench/README.md.

#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

#include "baseline_server.hpp"
#include "bench_options.hpp"
#include "clients.hpp"
#include "driver.hpp"
#include "report.hpp"

namespace bench {

namespace {

std::atomic<bool> g_stop{false};  // SIGINT/SIGTERM: end the window now and report
void on_signal(int) { g_stop.store(true); }

double cpu_seconds_self() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

/// utime + stime of a process from /proc/PID/stat, or -1.
double cpu_seconds_of(int pid) {
  if (pid <= 0) return -1;
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const std::size_t paren = text.rfind(')');  // the command name may contain spaces
  if (paren == std::string::npos) return -1;
  std::istringstream fields(text.substr(paren + 2));
  std::string field;
  double utime = 0;
  double stime = 0;
  for (int index = 3; fields >> field; ++index) {  // field 3 is the state
    if (index == 14) utime = std::stod(field);
    if (index == 15) {
      stime = std::stod(field);
      return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
  }
  return -1;
}

int generate_load(const Options& options) {
  const auto endpoint = parse_endpoint(options.connect);
  if (!endpoint) {
    std::fprintf(stderr, "grayling-bench: bad endpoint '%s'\n", options.connect.c_str());
    return 2;
  }
  Clients clients(options, *endpoint);
  if (clients.open_all() == 0) {
    std::fprintf(stderr, "grayling-bench: cannot connect to %s: %s\n", options.connect.c_str(), std::strerror(errno));
    return 1;
  }
  std::string setup;
  const bool wants_known = options.workload == Workload::known || options.workload == Workload::mix;
  if (wants_known && !options.known_preloaded && !options.skip_setup) {
    setup = set_up_known(options, clients, g_stop);
    if (options.quiet) std::fprintf(stderr, "setup: %s\n", setup.c_str());  // else in the report
  }

  std::atomic<std::uint64_t> measured{0};
  std::atomic<std::int64_t> target_reached_at{0};
  Window window;
  const std::int64_t started = now_ns();
  window.measure_from = started + static_cast<std::int64_t>(options.warmup * 1e9);
  window.rate = options.rate;  // open loop from the start of the warm-up (0: closed loop)
  window.paced_from = started;
  if (options.requests == 0) window.stop_at = window.measure_from + static_cast<std::int64_t>(options.duration * 1e9);
  window.interval = static_cast<std::int64_t>(options.interval * 1e9);
  window.timeout = static_cast<std::int64_t>(options.timeout * 1e9);
  window.stop = &g_stop;
  if (options.requests > 0) {
    window.measured = &measured;
    window.measured_target = options.requests;
    window.target_reached_at = &target_reached_at;
  }

  // The main thread watches the clock while the client threads run the window.
  double client_cpu = 0;
  double server_cpu = -1;
  std::int64_t window_end = 0;
  std::thread watcher([&] {
    sleep_until(window.measure_from, g_stop);
    const double client_before = cpu_seconds_self();
    const double server_before = cpu_seconds_of(options.server_pid);
    sleep_until(window.stop_at, g_stop);
    window_end = target_reached_at.load() ? target_reached_at.load() : std::min(now_ns(), window.stop_at);
    client_cpu = cpu_seconds_self() - client_before;
    const double server_after = cpu_seconds_of(options.server_pid);
    if (server_before >= 0 && server_after >= 0) server_cpu = server_after - server_before;
  });
  Stats stats = clients.run(window, [&](unsigned t) { return std::make_unique<WorkloadSource>(options, t, options.threads); });
  g_stop.store(true);  // the window ended in the client threads: wake the watcher if needed
  watcher.join();
  if (window_end == 0) window_end = now_ns();  // interrupted during warmup
  const Stats opening = clients.opening_stats();
  stats.connect_failures += opening.connect_failures;

  const double seconds = std::max(0.0, static_cast<double>(window_end - window.measure_from) / 1e9);
  const Summary summary{options, stats, seconds, client_cpu, server_cpu, setup};
  if (!options.quiet) {
    print_report(summary);
    if (options.interval > 0) print_intervals(summary);
  }
  print_json(summary);
  return stats.latency.count() > 0 ? 0 : 1;
}

/// A TCP connect to a port nobody listens on can pick that very port as its source port and
/// "succeed" (simultaneous open with itself): that is no server.
bool connected_to_itself(int fd) {
  sockaddr_storage local{};
  sockaddr_storage peer{};
  socklen_t local_length = sizeof local;
  socklen_t peer_length = sizeof peer;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length) != 0 ||
      getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_length) != 0) {
    return false;
  }
  return local.ss_family != AF_UNIX && local_length == peer_length && std::memcmp(&local, &peer, local_length) == 0;
}

/// Polls ENDPOINT until a connect succeeds; prints the wall-clock time of that success.
int wait_connect(const Options& options) {
  const auto endpoint = parse_endpoint(options.wait_connect);
  if (!endpoint) {
    std::fprintf(stderr, "grayling-bench: bad endpoint '%s'\n", options.wait_connect.c_str());
    return 2;
  }
  const std::int64_t deadline = now_ns() + static_cast<std::int64_t>(options.timeout * 1e9);
  while (!g_stop.load()) {
    const int fd = connect_nonblocking(*endpoint);
    if (fd >= 0 && connected_to_itself(fd)) {
      ::close(fd);
    } else if (fd >= 0) {
      const double connected = realtime_seconds();
      ::close(fd);
      std::printf("connected_epoch_us=%lld\n", static_cast<long long>(connected * 1e6));
      return 0;
    }
    if (now_ns() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  std::fprintf(stderr, "grayling-bench: %s did not accept within %.0f s\n", options.wait_connect.c_str(),
               options.timeout);
  return 1;
}

}  // namespace

}  // namespace bench

int main(int argc, char** argv) {
  using namespace bench;
  int exit_code = 0;
  const auto options = parse_options(argc, argv, exit_code);
  if (!options) return exit_code;
  std::signal(SIGPIPE, SIG_IGN);
  if (options->print_whitelist) {
    std::printf("%.*s\n", static_cast<int>(kWhitelistDomain.size()), kWhitelistDomain.data());
    return 0;
  }
  if (!options->serve.empty()) {
    const auto endpoint = parse_endpoint(options->serve);
    if (!endpoint) {
      std::fprintf(stderr, "grayling-bench: bad endpoint '%s'\n", options->serve.c_str());
      return 2;
    }
    return run_baseline_server(*endpoint);
  }
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  if (!options->wait_connect.empty()) return wait_connect(*options);
  return generate_load(*options);
}
