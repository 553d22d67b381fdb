#pragma once
/// grayling-admin's subcommands, one function each, over what the command line gave.
/// Each returns the exit status; an error is thrown (AdminError, StoreError, ...) and
/// reported by main with status 1.

#include <optional>
#include <string>
#include <vector>

#include "admin_context.hpp"

namespace grayling {

/// A triplet named by its parts, as Postfix would send them: the keys are built from
/// these by the daemon's own engine, asking SPF as it does (query_keys.hpp), so this also
/// works with --privacy and --spf-equivalence.
struct TripletQuery {
  std::string client_address;
  std::string client_name = "unknown";
  std::optional<std::string> sender;  // "" is the null sender
  std::string recipient;
  std::string helo;  // the HELO name: SPF checks it for the null sender
  [[nodiscard]] bool given() const { return !client_address.empty() || sender || !recipient.empty(); }
};

// Moving rows (command_transfer.cpp).
int run_export(AdminContext& context, const std::string& output);
int run_import(AdminContext& context, const std::string& input, bool dry_run);

// postgrey's state (command_postgrey.cpp).
int run_import_postgrey(AdminContext& context, const std::string& dbdir, bool dry_run);

// The log (command_report.cpp): files, or standard input when none are named.
int run_report(AdminContext& context, std::vector<std::string> files, const std::string& since, bool json);

// Looking (command_inspect.cpp).
int run_stats(AdminContext& context, bool json);
int run_explain(AdminContext& context, const TripletQuery& query, const std::string& at, bool json);
struct ListOptions {
  std::optional<std::string> client, sender, recipient, state, older_than;
  bool clients = false;  // the auto-whitelist instead of triplets
  bool json = false;
};
int run_list(AdminContext& context, const ListOptions& options);
int run_show(AdminContext& context, const std::vector<std::string>& rows, const TripletQuery& query);

// Changing (command_change.cpp). Each change is one transaction; a running daemon hears
// of it before the command returns.
int run_delete(AdminContext& context, const std::vector<std::string>& rows, const TripletQuery& query,
               const std::vector<std::string>& awl_clients);
int run_pass(AdminContext& context, const std::vector<std::string>& rows, const TripletQuery& query);
int run_whitelist_client(AdminContext& context, const std::vector<std::string>& addresses);

}  // namespace grayling
