// grayling-admin: the administrator's tool for grayling's greylist. It reads the daemon's
// own options and config file (DaemonOptions), so it finds the same store and builds the
// same keys, and it works while the daemon runs. This file is its command line; each
// subcommand is a function in commands.hpp.
//
//   explain           what the daemon would answer a request now, and why
//   list, show        the triplets and auto-whitelisted clients it holds
//   delete, pass      change one triplet (or client) by hand
//   whitelist-client  trust a client now
//   stats             counts, the oldest row, what expiry would delete, the size
//   export, import    the portable dump (backups, moving between stores)
//   import-postgrey   postgrey's database, so nobody is greylisted again on migration day
//   report            what the log says greylisting did (grayling's or postgrey's log)
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <iostream>

#include "commands.hpp"
#include "grayling/config/options.hpp"
#include "grayling/core/version.hpp"

namespace grayling {
namespace {

constexpr int kFailure = 1;
constexpr int kUsage = 2;

/// --client-address, --client-name, --sender, --recipient: a triplet by its parts.
void add_query_options(CLI::App* command, TripletQuery& query, bool required) {
  auto* address = command->add_option("--client-address", query.client_address, "The client's IP address");
  command->add_option("--client-name", query.client_name, "The client's verified name (default: unknown)");
  auto* sender = command->add_option("--sender", query.sender, "The envelope sender ('<>' or --sender= for the null sender)");
  auto* recipient = command->add_option("--recipient", query.recipient, "The envelope recipient");
  command->add_option("--helo", query.helo, "The client's HELO name (SPF checks it for the null sender)");
  if (required) {
    address->required();
    sender->required();
    recipient->required();
  }
}

int run(int argc, char** argv) {
  CLI::App app{"grayling-admin: look after grayling's greylist. It takes grayling's own options (or its --config "
               "file) to find the same store and build the same keys, and works while the daemon runs.",
               "grayling-admin"};
  app.get_formatter()->column_width(36);
  DaemonOptions options(app, DaemonOptions::Reader::tool);
  app.require_subcommand(0, 1);
  app.fallthrough();  // grayling's options may also follow the subcommand

  bool json = false;
  TripletQuery query;

  std::string at;
  CLI::App* explain_command = app.add_subcommand(
      "explain", "What the daemon would answer this request now, and why (changes nothing)");
  add_query_options(explain_command, query, /*required=*/true);
  explain_command->add_option("--at", at, "Decide at this time: epoch seconds, 'YYYY-MM-DD HH:MM[:SS]' UTC, or +/-DURATION");
  explain_command->add_flag("--json", json, "One JSON object instead of text");

  ListOptions list;
  CLI::App* list_command = app.add_subcommand("list", "Triplets (or with --clients the auto-whitelist), filtered");
  list_command->add_option("--client", list.client, "Client address or network (as keys hold it)");
  list_command->add_option("--sender", list.sender, "Sender address, @domain, or '<>' for the null sender");
  list_command->add_option("--recipient", list.recipient, "Recipient address, or @domain");
  list_command->add_option("--state", list.state, "pending or passed");
  list_command->add_option("--older-than", list.older_than, "First seen longer ago than this (30m, 12h, 7d, 2w)");
  list_command->add_flag("--clients", list.clients, "List the auto-whitelisted clients instead");
  list_command->add_flag("--json", list.json, "JSON lines: one object per row");

  std::vector<std::string> rows;
  CLI::App* show_command = app.add_subcommand("show", "Rows in full: by ID or key as list prints them, or a triplet");
  show_command->add_option("row", rows, "A row's ID (16 hex digits) or key");
  add_query_options(show_command, query, /*required=*/false);

  std::vector<std::string> awl_clients;
  CLI::App* delete_command = app.add_subcommand("delete", "Delete triplets or auto-whitelisted clients");
  delete_command->add_option("row", rows, "A row's ID (16 hex digits) or key");
  add_query_options(delete_command, query, /*required=*/false);
  delete_command->add_option("--awl-client", awl_clients, "An auto-whitelisted client, by address");

  CLI::App* pass_command = app.add_subcommand("pass", "Mark a triplet passed now: let one sender through at once");
  pass_command->add_option("row", rows, "A row's ID (16 hex digits) or key");
  add_query_options(pass_command, query, /*required=*/false);

  std::vector<std::string> addresses;
  CLI::App* whitelist_command =
      app.add_subcommand("whitelist-client", "Add clients to the auto-whitelist now, as if they had passed enough");
  whitelist_command->add_option("address", addresses, "The client's IP address")->required();

  CLI::App* stats_command =
      app.add_subcommand("stats", "Rows by state, auto-whitelisted clients, the oldest row, rows due for expiry, size");
  stats_command->add_flag("--json", json, "One JSON object instead of text");

  std::string output = "-";
  CLI::App* export_command = app.add_subcommand("export", "Write every row of the store as a dump (JSON lines)");
  export_command->add_option("-o,--output", output, "Write to FILE (all or nothing) instead of standard output");

  std::string input;
  bool dry_run = false;
  CLI::App* import_command =
      app.add_subcommand("import", "Merge a dump into the store: new rows are added, stored ones keep what both know");
  import_command->add_option("dump", input, "The dump file, or - for standard input")->required();
  import_command->add_flag("--dry-run", dry_run, "Read and check the dump, write nothing");

  std::string postgrey_dbdir = "/var/lib/postgrey";
  CLI::App* postgrey_command = app.add_subcommand(
      "import-postgrey", "Merge postgrey's greylist and auto-whitelist (its Berkeley DB files, read with db_dump)");
  postgrey_command->add_option("--dbdir", postgrey_dbdir, "postgrey's database directory")->capture_default_str();
  postgrey_command->add_flag("--dry-run", dry_run, "Read, check and summarise; write nothing");

  std::vector<std::string> log_files;
  std::string since;
  CLI::App* report_command = app.add_subcommand(
      "report", "What greylisting did, from grayling's log lines (or postgrey's): delays, retries, top senders");
  report_command->add_option("log", log_files, "Log files (default: standard input if piped, else /var/log/mail.log)");
  report_command->add_option("--since", since, "Only lines from the last DURATION (7d, 12h) or since a time");
  report_command->add_flag("--json", json, "One JSON object instead of text");

  // CLI11 reads "--sender=" as no value at all; the null sender is "<>" from here on.
  std::vector<std::string> args = with_optional_values(argc, argv);
  for (auto& arg : args) {
    if (arg == "--sender=") arg = "--sender=<>";
  }
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (query.sender == "<>") query.sender = "";
  if (list.sender == "<>") list.sender = "";
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
  AdminContext context(std::move(*config));
  try {
    if (*report_command) return run_report(context, log_files, since, json);
    if (*postgrey_command) return run_import_postgrey(context, postgrey_dbdir, dry_run);
    if (*explain_command) return run_explain(context, query, at, json);
    if (*list_command) return run_list(context, list);
    if (*show_command) return run_show(context, rows, query);
    if (*delete_command) return run_delete(context, rows, query, awl_clients);
    if (*pass_command) return run_pass(context, rows, query);
    if (*whitelist_command) return run_whitelist_client(context, addresses);
    if (*stats_command) return run_stats(context, json);
    if (*export_command) return run_export(context, output);
    return run_import(context, input, dry_run);
  } catch (const std::exception& e) {
    fmt::print(stderr, "grayling-admin: {}\n", e.what());
    return kFailure;
  }
}

}  // namespace
}  // namespace grayling

int main(int argc, char** argv) { return grayling::run(argc, argv); }
