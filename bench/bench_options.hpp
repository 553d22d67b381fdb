#pragma once
/// grayling-bench's command line: what to run against what, for how long.

#include <cstdint>
#include <optional>
#include <string>

namespace bench {

enum class Workload : std::uint8_t { fresh, known, whitelisted, mix };

const char* workload_name(Workload workload);

struct Options {
  // Modes other than the load generator (at most one).
  std::string serve;          // --serve=ENDPOINT: run the DUNNO baseline server
  std::string wait_connect;   // --wait-connect=ENDPOINT: exit once a connect succeeds
  bool print_whitelist = false;

  // Load generation.
  std::string connect;        // --connect=ENDPOINT
  Workload workload = Workload::mix;
  unsigned connections = 8;
  unsigned threads = 1;
  double duration = 10;       // seconds measured, unless --requests
  std::uint64_t requests = 0; // measured requests (0: run for --duration)
  double warmup = 1;          // seconds run before measuring
  double timeout = 10;        // seconds one request may take before it counts as lost
  double interval = 0;        // >0: also report every INTERVAL seconds
  double rate = 0;            // >0: open loop, requests/s over all connections; 0: closed loop
  std::uint64_t known = 10000;    // size of the known set
  bool known_preloaded = false;   // known set already in the DB (grayling-bulk-load): no setup
  bool skip_setup = false;        // target does not greylist (the baseline): no setup
  std::int64_t delay = 1;         // the daemon's --delay, waited out during setup
  std::string tag;                // names' tag (letters); default random per run
  std::string label;              // copied into the JSON ("grayling", "baseline", ...)
  int server_pid = 0;             // measure this process's CPU over the window
  bool quiet = false;             // JSON line only
};

/// Parses argv; prints usage or an error and returns nullopt when the run should not go on
/// (`exit_code` then says how to exit).
std::optional<Options> parse_options(int argc, char** argv, int& exit_code);

}  // namespace bench
