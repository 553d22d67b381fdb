#include "delivery_driver.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "client_authority.hpp"
#include "configurations.hpp"
#include "delivery_report.hpp"
#include "grayling/core/policy_engine.hpp"
#include "grayling/core/whitelist.hpp"
#include "lookup_builder.hpp"
#include "outcome_summary.hpp"
#include "simulation.hpp"
#include "targets.hpp"
#include "trace.hpp"

namespace delivery {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

/// The lists as shipped, loaded as the daemon loads them; an unreadable one is fatal here:
/// the comparison would be meaningless without it.
grayling::Whitelists shipped_whitelists(const DeliveryOptions& options) {
  std::vector<grayling::WhitelistIssue> issues;
  grayling::Whitelists lists =
      grayling::load_whitelists({options.whitelist_clients}, {options.whitelist_recipients}, issues);
  for (const auto& issue : issues) {
    if (issue.unreadable) throw std::runtime_error(issue.describe());
    std::fprintf(stderr, "grayling-delivery: %s\n", issue.describe().c_str());
  }
  return lists;
}

grayling::EngineSettings engine_settings(const DeliveryOptions& options) {
  grayling::EngineSettings settings;
  settings.delay = options.delay;
  settings.auto_whitelist_clients = options.auto_whitelist_clients;
  settings.hostname = "grayling-delivery";
  return settings;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

}  // namespace

int run_delivery_benchmark(const DeliveryOptions& options) {
  const auto started = Clock::now();
  // One trace for every configuration: the same messages and, attempt by attempt, the
  // same addresses and senders.
  TraceOptions trace_options;
  trace_options.seed = options.seed;
  trace_options.legitimate = options.legitimate;
  trace_options.spam = options.spam;
  const Trace trace = generate_trace(trace_options);
  const Seconds end = trace.start + options.days * 86400;
  const grayling::Whitelists shipped = shipped_whitelists(options);
  const StubSpfAuthority authority(trace.dns);

  std::vector<ConfigurationResult> results;
  for (const Configuration& configuration : configurations()) {
    const auto replay_started = Clock::now();
    const grayling::PolicyEngine engine(engine_settings(options),
                                        configuration.shipped_whitelist ? shipped : grayling::Whitelists{});
    const LookupBuilder builder(engine, configuration.features, authority);
    const Replay replayed = replay(trace, engine, builder, end);
    if (replayed.skipped > 0) {
      std::fprintf(stderr, "grayling-delivery: %zu requests were not greylisted at all (DUNNO): a trace bug\n",
                   replayed.skipped);
    }
    results.push_back(summarise(configuration, trace, replayed));
    results.back().wall_seconds = seconds_since(replay_started);
  }

  const std::vector<TargetCheck> targets = check_targets(results);
  RunDescription run{options.seed,          options.legitimate, options.spam,
                     options.days * 86400,  options.delay,      options.auto_whitelist_clients,
                     seconds_since(started)};
  if (options.json == "-") {
    std::fputs(json_report(run, results, targets).c_str(), stdout);
  } else {
    std::fputs(markdown_report(run, results, targets).c_str(), stdout);
    if (!options.json.empty()) write_file(options.json, json_report(run, results, targets));
  }
  if (!options.check) return 0;
  for (const auto& target : targets) {
    if (!target.holds) return 2;
  }
  return 0;
}

}  // namespace delivery
