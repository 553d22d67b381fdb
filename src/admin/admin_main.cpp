// grayling-admin: the administrator's tool for grayling's greylist. It reads the daemon's
// own options and config file (DaemonOptions), so it finds the same store, and it works
// while the daemon runs.
//
//   export   write every row of the store as a dump (row_dump.hpp)
//   import   merge a dump into the store
//   stats    what the store holds, and what the next expiry run would delete
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ostream.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>

#include "grayling/admin/row_dump.hpp"
#include "grayling/admin/stats_report.hpp"
#include "grayling/admin/transfer.hpp"
#include "grayling/config/options.hpp"
#include "grayling/core/policy_engine.hpp"
#include "grayling/core/version.hpp"
#include "grayling/store/store_factory.hpp"
#include "atomic_file.hpp"
#include "store_owner.hpp"

namespace grayling {
namespace {

constexpr int kFailure = 1;
constexpr int kUsage = 2;

void report_to_stderr(Severity severity, const std::string& message) {
  const char* level = severity == Severity::warning ? "warning" : "error";
  fmt::print(stderr, "grayling-admin: {}: {}\n", level, message);
}

/// The store the daemon uses, opened as a tool beside it: no instance lock, no repair.
/// `body` runs while the store is open; for SQLite as root, as the database's owner.
template <typename Body>
void with_store(const Config& config, bool create, Body&& body) {
  const StoreUri uri = config.store.store_uri();
  std::optional<ActingAsOwner> owner;
  if (const auto directory = uri.directory()) owner.emplace(*directory);
  StoreOptions options;
  options.sync = config.store.sync;
  options.report = report_to_stderr;
  options.access = StoreAccess{.owner = false, .create = create};
  auto store = open_store(uri, options);
  body(*store, uri.describe());
}

int run_export(const Config& config, const std::string& output) {
  std::unique_ptr<AtomicFile> file;
  if (output != "-") file = std::make_unique<AtomicFile>(output);  // as the administrator
  std::ostream& out = file ? file->stream() : std::cout;
  RowCounts counts;
  std::string store_name;
  with_store(config, /*create=*/false, [&](Store& store, const std::string& name) {
    counts = export_rows(store, out, std::time(nullptr));
    store_name = name;
  });
  if (file) file->finish();
  fmt::print(stderr, "exported {} triplets and {} auto-whitelisted clients from {}\n", counts.triplets, counts.clients,
             store_name);
  return 0;
}

int run_import(const Config& config, const std::string& input, bool dry_run) {
  Dump dump;
  if (input == "-") {
    dump = read_dump(std::cin, "standard input");
  } else {
    std::ifstream in(input);
    if (!in) throw std::runtime_error(fmt::format("cannot read {}: {}", input, std::strerror(errno)));
    dump = read_dump(in, input);
  }
  if (dry_run) {
    fmt::print("{}: {} triplets and {} auto-whitelisted clients, all well-formed; nothing written (--dry-run)\n",
               input == "-" ? "standard input" : input, dump.triplets.size(), dump.clients.size());
    return 0;
  }
  with_store(config, /*create=*/true, [&](Store& store, const std::string& name) {
    const RowCounts counts = import_rows(store, dump);
    fmt::print("merged {} triplets and {} auto-whitelisted clients into {}\n", counts.triplets, counts.clients, name);
  });
  return 0;
}

int run_stats(const Config& config, bool json) {
  const EpochSeconds now = std::time(nullptr);
  // Stale as the daemon's expiry sees it, by these options' --max-age and --retry-window.
  const ExpiryCutoffs cutoffs = PolicyEngine(config.engine).expiry_cutoffs(now);
  with_store(config, /*create=*/false, [&](Store& store, const std::string& name) {
    const StoreStats stats = store.stats(cutoffs);
    fmt::print("{}", json ? stats_json(stats, name) + "\n" : stats_text(stats, name, now));
  });
  return 0;
}

int run(int argc, char** argv) {
  CLI::App app{"grayling-admin: look after grayling's greylist. It takes grayling's own options (or its --config "
               "file) to find the same store, and works while the daemon runs.",
               "grayling-admin"};
  app.get_formatter()->column_width(36);
  DaemonOptions options(app, DaemonOptions::Reader::tool);
  app.require_subcommand(0, 1);
  app.fallthrough();  // grayling's options may also follow the subcommand

  std::string output = "-";
  CLI::App* export_command = app.add_subcommand("export", "Write every row of the store as a dump (JSON lines)");
  export_command->add_option("-o,--output", output, "Write to FILE (all or nothing) instead of standard output");

  std::string input;
  bool dry_run = false;
  CLI::App* import_command =
      app.add_subcommand("import", "Merge a dump into the store: new rows are added, stored ones keep what both know");
  import_command->add_option("dump", input, "The dump file, or - for standard input")->required();
  import_command->add_flag("--dry-run", dry_run, "Read and check the dump, write nothing");

  bool json = false;
  CLI::App* stats_command =
      app.add_subcommand("stats", "Rows by state, auto-whitelisted clients, the oldest row, rows due for expiry, size");
  stats_command->add_flag("--json", json, "One JSON object instead of text");

  try {
    app.parse(with_optional_values(argc, argv));
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (options.wants_version()) {
    fmt::print("grayling-admin {}\n", kVersion);
    return 0;
  }
  if (options.wants_help() || app.get_subcommands().empty()) {
    std::cout << app.help();
    return options.wants_help() ? 0 : kUsage;
  }
  auto config = options.config(std::cerr, "grayling-admin");
  if (!config) return kUsage;
  try {
    if (*export_command) return run_export(*config, output);
    if (*stats_command) return run_stats(*config, json);
    return run_import(*config, input, dry_run);
  } catch (const std::exception& e) {
    fmt::print(stderr, "grayling-admin: {}\n", e.what());
    return kFailure;
  }
}

}  // namespace
}  // namespace grayling

int main(int argc, char** argv) { return grayling::run(argc, argv); }
