// grayling-admin stats, explain, list and show: looking, never changing.
#include <fmt/format.h>

#include <ctime>
#include <iostream>
#include <limits>

#include "commands.hpp"
#include "grayling/admin/explanation_report.hpp"
#include "grayling/admin/row_dump.hpp"
#include "grayling/admin/row_listing.hpp"
#include "grayling/admin/row_lookup.hpp"
#include "grayling/admin/stats_report.hpp"
#include "grayling/admin/time_text.hpp"
#include "grayling/core/durations.hpp"
#include "grayling/core/explanation.hpp"
#include "grayling/store/row_ids.hpp"
#include "query_keys.hpp"

namespace grayling {

namespace {

constexpr std::size_t kPage = 1000;

/// The request Postfix would send for the query (Postfix 2.3 and later always sends
/// etrn_domain, which decides the greylist text's "4.2.0" prefix).
PolicyRequest request_of(const TripletQuery& query) {
  PolicyRequest request;
  request.set("request", "smtpd_access_policy");
  request.set("protocol_state", "RCPT");
  request.set("client_address", query.client_address);
  request.set("client_name", query.client_name);
  request.set("sender", query.sender.value_or(""));
  request.set("recipient", query.recipient);
  request.set("etrn_domain", "");
  if (!query.helo.empty()) request.set("helo_name", query.helo);
  return request;
}

/// Every row of a table through `page(from, limit)`, a page at a time.
template <typename Page, typename Each>
void walk(Page&& page, Each&& each) {
  std::int64_t from = std::numeric_limits<std::int64_t>::min();
  for (;;) {
    const auto rows = page(from, kPage);
    for (const auto& row : rows) each(row);
    if (rows.size() < kPage || rows.back().id == std::numeric_limits<std::int64_t>::max()) return;
    from = rows.back().id + 1;
  }
}

}  // namespace

int run_stats(AdminContext& context, bool json) {
  const EpochSeconds now = std::time(nullptr);
  // Stale as the daemon's expiry sees it, by these options' --max-age and --retry-window.
  const ExpiryCutoffs cutoffs = context.key_engine().expiry_cutoffs(now);
  context.with_store(/*create=*/false, [&](Store& store, const std::string& name) {
    const StoreStats stats = store.stats(cutoffs);
    fmt::print("{}", json ? stats_json(stats, name) + "\n" : stats_text(stats, name, now));
  });
  return 0;
}

int run_explain(AdminContext& context, const TripletQuery& query, const std::string& at, bool json) {
  const PolicyEngine& engine = context.engine();
  // A clear error for a bad query before anything else; and SPF asked as the daemon asks
  // it, when it would: the key depends on it.
  const QueryKeys keys = query_keys(engine, context.config().spf, query);
  const EpochSeconds now = std::time(nullptr);
  std::optional<EpochSeconds> when;
  if (!at.empty()) {
    when = parse_when(at, now);
    if (!when) throw AdminError(fmt::format("--at {}: not a time (epoch seconds, YYYY-MM-DD HH:MM[:SS] UTC, or +/-DURATION)", at));
  }
  const PolicyRequest request = request_of(query);
  // The store is opened only if the whitelists leave the decision to it.
  const auto load = [&](const RecordKeys& keys) {
    Records records;
    context.with_store(/*create=*/false, [&](Store& store, const std::string&) { records = read_records(store, keys); });
    return records;
  };
  const Explanation explanation =
      explain(engine, request, load, when, now, context.config().server.no_action, keys.spf_domain);
  fmt::print("{}", json ? explanation_json(explanation, request, engine.settings()) + "\n"
                        : explanation_text(explanation, request, engine.settings()));
  return 0;
}

int run_list(AdminContext& context, const ListOptions& options) {
  const PolicyEngine& engine = context.key_engine();
  const EpochSeconds now = std::time(nullptr);
  RowFilter filter;
  try {
    filter = RowFilter::from_options(engine, options.client, options.sender, options.recipient);
  } catch (const std::invalid_argument& e) {
    throw AdminError(e.what());
  }
  if (options.state) {
    if (*options.state != "pending" && *options.state != "passed") {
      throw AdminError(fmt::format("--state {}: pending or passed", *options.state));
    }
    filter.passed = *options.state == "passed";
  }
  if (options.older_than) {
    const auto age = parse_duration(*options.older_than);
    if (!age) throw AdminError(fmt::format("--older-than {}: not a duration (90s, 30m, 12h, 7d, 2w)", *options.older_than));
    filter.first_seen_before = now - *age;
  }
  if (filter.reads_keys() && engine.settings().privacy) {
    throw AdminError(
        "with --privacy the store holds only SHA-1 digests of keys, so --client, --sender and --recipient cannot "
        "match them; name one triplet with explain, show, delete or pass (--client-address, --sender, --recipient)");
  }
  if (options.clients && (filter.reads_keys() || filter.passed)) {
    throw AdminError("--clients lists the auto-whitelist: only --older-than (by last sighting) applies");
  }
  std::size_t shown = 0;
  context.with_store(/*create=*/false, [&](Store& store, const std::string&) {
    if (options.clients) {
      const std::int64_t threshold = engine.settings().auto_whitelist_clients;
      if (!options.json) fmt::print("{}\n", client_table_header());
      walk([&](std::int64_t from, std::size_t limit) { return store.client_rows(from, limit); },
           [&](const ClientRow& row) {
             if (filter.first_seen_before && row.record.last_seen >= *filter.first_seen_before) return;
             fmt::print("{}\n", options.json ? client_json(row, threshold) : client_table_line(row, threshold));
             ++shown;
           });
      return;
    }
    if (!options.json) fmt::print("{}\n", triplet_table_header());
    walk([&](std::int64_t from, std::size_t limit) { return store.triplet_rows(from, limit); },
         [&](const TripletRow& row) {
           if (!filter.matches(row)) return;
           fmt::print("{}\n", options.json ? triplet_json(row) : triplet_table_line(row));
           ++shown;
         });
  });
  std::fflush(stdout);
  if (!options.json) fmt::print(stderr, "{} {}\n", shown, options.clients ? "clients" : "triplets");
  return 0;
}

int run_show(AdminContext& context, const std::vector<std::string>& rows, const TripletQuery& query) {
  const PolicyEngine& engine = context.key_engine();
  const EpochSeconds now = std::time(nullptr);
  std::optional<QueryKeys> keys;
  if (query.given()) keys = query_keys(engine, context.config().spf, query);
  std::vector<std::string> unknown;
  context.with_store(/*create=*/false, [&](Store& store, const std::string&) {
    bool first = true;
    auto separate = [&] {
      if (!first) fmt::print("\n");
      first = false;
    };
    auto show_id = [&](std::int64_t id, const std::string& name) {
      bool found = false;
      if (const auto row = find_triplet_row(store, id)) {
        separate();
        fmt::print("{}", triplet_details(*row, engine.settings(), now));
        found = true;
      }
      if (const auto row = find_client_row(store, id)) {
        separate();
        fmt::print("{}", client_details(*row, engine.settings(), now));
        found = true;
      }
      if (!found) unknown.push_back(name);
    };
    for (const auto& name : rows) {
      const auto id = row_id_of(name);
      if (!id) throw AdminError("an empty row name");
      show_id(*id, name);
    }
    if (keys) {
      // The row the daemon decides by: the key's, or the network key's it falls back on.
      const TripletLookup& lookup = keys->lookup;
      std::optional<TripletRow> row;
      for (const auto& key : keys->triplet_keys()) {
        if ((row = find_triplet_row(store, store_key_digest(key)))) break;
      }
      if (row) {
        separate();
        fmt::print("{}", triplet_details(*row, engine.settings(), now));
      } else {
        unknown.push_back(lookup.key);
      }
      if (!lookup.client_key.empty()) {
        if (const auto row = find_client_row(store, store_key_digest(lookup.client_key))) {
          separate();
          fmt::print("{}", client_details(*row, engine.settings(), now));
        }
      }
    }
  });
  if (!unknown.empty()) {
    std::string names;
    for (const auto& name : unknown) names += (names.empty() ? "" : ", ") + name;
    throw AdminError("no such row: " + names);
  }
  return 0;
}

}  // namespace grayling
