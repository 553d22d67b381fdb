// grayling-admin delete, pass and whitelist-client: changing the greylist by hand. Every
// row is found (or its key built) before anything is written, so a bad name changes
// nothing; the change is one transaction, and running daemons hear of it before the
// command returns (AdminContext::let_daemons_hear).
#include <fmt/format.h>

#include <ctime>

#include "commands.hpp"
#include "grayling/admin/row_dump.hpp"
#include "grayling/admin/row_lookup.hpp"
#include "grayling/store/row_ids.hpp"
#include "query_keys.hpp"

namespace grayling {

namespace {

std::string name_of(const std::string& key, std::int64_t id) { return key.empty() ? row_id_hex(id) : key; }

/// Commits `change` in one transaction, rolled back if it throws.
template <typename Change>
void in_transaction(Store& store, Change&& change) {
  store.begin();
  try {
    change();
    store.commit();
  } catch (...) {
    store.rollback();
    throw;
  }
}

void refuse_unknown(const std::vector<std::string>& unknown) {
  if (unknown.empty()) return;
  std::string names;
  for (const auto& name : unknown) names += (names.empty() ? "" : ", ") + name;
  throw AdminError("no such row: " + names + " (nothing was changed)");
}

/// The auto-whitelist key of an address, or an error when the auto-whitelist is off.
std::string awl_key_of(const PolicyEngine& engine, const std::string& text) {
  const std::string key = engine.awl_key(parse_client_address(text));
  if (key.empty()) {
    throw AdminError("the auto-whitelist is off (--auto-whitelist-clients=0): it has no clients");
  }
  return key;
}

}  // namespace

int run_delete(AdminContext& context, const std::vector<std::string>& rows, const TripletQuery& query,
               const std::vector<std::string>& awl_clients) {
  const PolicyEngine& engine = context.key_engine();
  std::optional<QueryKeys> keys;
  if (query.given()) keys = query_keys(engine, context.config().spf, query);
  std::vector<std::int64_t> triplets, clients;
  std::vector<std::string> names, unknown;
  context.with_store(/*create=*/false, [&](Store& store, const std::string& store_name) {
    for (const auto& name : rows) {
      const auto id = row_id_of(name);
      if (!id) throw AdminError("an empty row name");
      const auto triplet = find_triplet_row(store, *id);
      const auto client = triplet ? std::nullopt : find_client_row(store, *id);
      if (triplet) {
        triplets.push_back(*id);
        names.push_back("triplet " + name_of(triplet->key, *id));
      } else if (client) {
        clients.push_back(*id);
        names.push_back("auto-whitelist client " + name_of(client->key, *id));
      } else {
        unknown.push_back(name);
      }
    }
    if (keys) {
      // Every row the daemon would decide by: left behind, the network row keyed by SPF
      // falls back on would carry the triplet over.
      const std::size_t before = names.size();
      for (const auto& key : keys->triplet_keys()) {
        if (find_triplet_row(store, store_key_digest(key))) {
          triplets.push_back(store_key_digest(key));
          names.push_back("triplet " + key);
        }
      }
      if (names.size() == before) unknown.push_back("triplet " + keys->lookup.key);
    }
    for (const auto& address : awl_clients) {
      const std::string key = awl_key_of(engine, address);
      if (find_client_row(store, store_key_digest(key))) {
        clients.push_back(store_key_digest(key));
        names.push_back("auto-whitelist client " + key);
      } else {
        unknown.push_back("auto-whitelist client " + key);
      }
    }
    refuse_unknown(unknown);
    if (names.empty()) throw AdminError("nothing to delete: name rows, a triplet (--client-address, --sender, "
                                        "--recipient) or --awl-client ADDRESS");
    std::size_t removed = 0;
    in_transaction(store, [&] { removed = store.remove(triplets, clients); });
    AdminContext::let_daemons_hear();
    for (const auto& name : names) fmt::print("deleted {}\n", name);
    if (removed < names.size()) {
      fmt::print(stderr, "{} of them had gone meanwhile (expired by the daemon)\n", names.size() - removed);
    }
    (void)store_name;
  });
  return 0;
}

int run_pass(AdminContext& context, const std::vector<std::string>& rows, const TripletQuery& query) {
  const PolicyEngine& engine = context.key_engine();
  const EpochSeconds now = std::time(nullptr);
  std::optional<QueryKeys> keys;
  if (query.given()) keys = query_keys(engine, context.config().spf, query);
  std::vector<TripletRow> passes;
  std::vector<std::string> unknown;
  context.with_store(/*create=*/true, [&](Store& store, const std::string&) {
    for (const auto& name : rows) {
      const auto id = row_id_of(name);
      if (!id) throw AdminError("an empty row name");
      if (const auto triplet = find_triplet_row(store, *id)) {
        passes.push_back({*id, {now, now, true}, triplet->key});
      } else {
        unknown.push_back(name);
      }
    }
    if (keys) {
      // The key the daemon reads first (keyed by SPF: the domain's). A triplet not seen
      // yet is made, passed: the sender's first attempt goes through.
      const std::string& key = keys->lookup.key;
      passes.push_back({store_key_digest(key), {now, now, true}, key});
    }
    refuse_unknown(unknown);
    if (passes.empty()) throw AdminError("nothing to pass: name rows, or a triplet (--client-address, --sender, --recipient)");
    // Merged: a stored row keeps its first sighting and becomes passed, seen now.
    in_transaction(store, [&] { store.merge(passes, {}); });
    AdminContext::let_daemons_hear();
    for (const auto& row : passes) fmt::print("passed triplet {}: it passes from now on\n", name_of(row.key, row.id));
  });
  return 0;
}

int run_whitelist_client(AdminContext& context, const std::vector<std::string>& addresses) {
  const PolicyEngine& engine = context.key_engine();
  const EpochSeconds now = std::time(nullptr);
  const std::int64_t threshold = engine.settings().auto_whitelist_clients;
  std::vector<ClientRow> clients;
  for (const auto& address : addresses) {
    const std::string key = awl_key_of(engine, address);
    clients.push_back({store_key_digest(key), {threshold, now}, key});
  }
  if (clients.empty()) throw AdminError("name at least one client address");
  context.with_store(/*create=*/true, [&](Store& store, const std::string&) {
    // Merged: a client already counting keeps the higher count, seen now.
    in_transaction(store, [&] { store.merge({}, clients); });
    AdminContext::let_daemons_hear();
  });
  for (const auto& row : clients) {
    fmt::print("auto-whitelisted client {}: it passes without greylisting from now on\n", row.key);
  }
  return 0;
}

}  // namespace grayling
