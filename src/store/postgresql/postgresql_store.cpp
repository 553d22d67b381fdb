#include "grayling/store/postgresql_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <unordered_map>
#include <utility>

#include "grayling/store/row_fold.hpp"
#include "grayling/store/row_ids.hpp"
#include "pg_connection.hpp"

namespace grayling {

namespace {

using SteadyClock = std::chrono::steady_clock;

// A round trip that takes longer means the database or the network has stalled: the
// connection is dropped and made again. Requests were answered long before, by
// --store-timeout.
constexpr auto kRoundTrip = std::chrono::seconds(15);
constexpr auto kLongestBackoff = std::chrono::seconds(30);

// Advisory lock keys ("gray" and "grax"): one daemon at a time migrates, and expires.
constexpr const char* kSchemaLock = "1735549305";
constexpr const char* kExpiryLock = "1735549304";

// Version 1: the SQLite store's tables and indexes, with PostgreSQL's types.
const std::vector<std::string> kSchemaV1{
    "CREATE TABLE grayling_triplets (id bigint PRIMARY KEY, first_seen bigint NOT NULL, last_seen bigint NOT NULL, "
    "passed boolean NOT NULL)",
    "CREATE INDEX grayling_triplets_expiry ON grayling_triplets (passed, last_seen)",
    "CREATE TABLE grayling_clients (id bigint PRIMARY KEY, count bigint NOT NULL, last_seen bigint NOT NULL)",
    "CREATE INDEX grayling_clients_expiry ON grayling_clients (last_seen)",
};

// Version 2: each row keeps its key (as bytes: a key need not be valid UTF-8), so an
// administrator can list the greylist. Rows of version 1 get theirs when next written.
// A nullable column without a default is added without rewriting the table.
const std::vector<std::string> kSchemaV2{
    "ALTER TABLE grayling_triplets ADD COLUMN IF NOT EXISTS key bytea",
    "ALTER TABLE grayling_clients ADD COLUMN IF NOT EXISTS key bytea",
};

// grayling-admin's changes are announced on this channel; daemons listen, and drop the
// passes they cached (a deleted triplet must stop passing at once, not in 10 s).
constexpr const char* kChangeChannel = "grayling_changes";

// read_only_sql_transaction: a write reached a standby, or a server made read-only.
constexpr const char* kReadOnlyServer = "25006";

// Failures that running the batch again cures: a serialization failure, a deadlock, and
// prepared statements the server lost in the middle of a transaction (the connection
// has forgotten them, and prepares them again for the next attempt).
bool is_conflict(const std::string& sqlstate) {
  return sqlstate == "40001" || sqlstate == "40P01" || sqlstate == pg::kStatementsLost;
}

pg::Statement statement(std::string sql, std::vector<std::string> params = {}) {
  return pg::Statement{std::move(sql), std::move(params)};
}

/// Keeps, of rows that share an id, the last: one INSERT ... ON CONFLICT may not update a
/// row twice. Two keys of one batch share an id when their digests collide; the later
/// takes the row over, as it does in the other backends, which write them in turn.
template <typename Row>
void keep_last_per_id(std::vector<Row>& rows) {
  std::vector<std::int64_t> ids;
  ids.reserve(rows.size());
  for (const auto& row : rows) ids.push_back(row.id);
  std::sort(ids.begin(), ids.end());
  if (std::adjacent_find(ids.begin(), ids.end()) == ids.end()) return;  // the rule
  std::unordered_map<std::int64_t, std::size_t> last;
  for (std::size_t i = 0; i < rows.size(); ++i) last[rows[i].id] = i;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (last[rows[i].id] == i) rows[kept++] = std::move(rows[i]);
  }
  rows.resize(kept);
}

/// The loads of one batch: the database's clock and the rows of its keys, locked in id
/// order (the same on every host: two daemons deciding the same triplet wait for each
/// other instead of both counting its first pass). A row is returned for a key only if
/// it is that key's (row_belongs_to): two keys may share a digest.
class LoadPlan {
 public:
  LoadPlan(const RecordKeys& keys, RowIdCache& row_ids) {
    for (const auto key : keys.triplets) triplet_keys_.emplace(triplet_ids_.emplace_back(row_ids.loaded(key)), key);
    for (const auto key : keys.clients) client_keys_.emplace(client_ids_.emplace_back(row_ids.loaded(key)), key);
  }

  [[nodiscard]] std::vector<pg::Statement> statements() const {
    return {
        // Whole seconds, truncated as the host clock is (a cast would round).
        statement("SELECT floor(extract(epoch FROM transaction_timestamp()))::bigint"),
        statement("SELECT id, first_seen, last_seen, passed, encode(key, 'hex') FROM grayling_triplets "
                  "WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE",
                  {pg::array_literal(triplet_ids_)}),
        statement("SELECT id, count, last_seen, encode(key, 'hex') FROM grayling_clients WHERE id = ANY($1::bigint[]) "
                  "ORDER BY id FOR UPDATE",
                  {pg::array_literal(client_ids_)})};
  }

  /// The records, from the results of statements() starting at results[first].
  [[nodiscard]] Records records(const std::vector<pg::Result>& results, std::size_t first) const {
    Records found;
    found.now = results[first].integer(0, 0);
    const pg::Result& triplets = results[first + 1];
    for (int row = 0; row < triplets.rows(); ++row) {
      for_each_owner(triplet_keys_, triplets, row, 4, [&](std::string_view key) {
        found.triplets.emplace(std::string(key), TripletRecord{triplets.integer(row, 1), triplets.integer(row, 2),
                                                               triplets.boolean(row, 3)});
      });
    }
    const pg::Result& clients = results[first + 2];
    for (int row = 0; row < clients.rows(); ++row) {
      for_each_owner(client_keys_, clients, row, 3, [&](std::string_view key) {
        found.clients.emplace(std::string(key), ClientRecord{clients.integer(row, 1), clients.integer(row, 2)});
      });
    }
    return found;
  }

 private:
  using KeysById = std::unordered_multimap<std::int64_t, std::string_view>;

  /// Calls `found` with each key asked for whose row `row` of `result` is (its id in
  /// column 0, its stored key, in hex, in column `key_column`): one, or any for a row
  /// without a key.
  template <typename Found>
  static void for_each_owner(const KeysById& asked, const pg::Result& result, int row, int key_column, Found found) {
    const std::string_view stored = result.text(row, key_column);
    const auto [begin, end] = asked.equal_range(result.integer(row, 0));
    for (auto it = begin; it != end; ++it) {
      if (stored.empty() || pg::hex_spells(stored, it->second)) found(it->second);
    }
  }

  std::vector<std::int64_t> triplet_ids_, client_ids_;
  KeysById triplet_keys_, client_keys_;
};

}  // namespace

struct PostgresqlStore::Impl {
  std::string conninfo;
  StoreReporter report;
  std::unique_ptr<pg::Connection> connection;
  bool outage_reported = false;
  SteadyClock::time_point next_attempt{};
  std::chrono::seconds backoff{1};

  bool in_transaction = false;
  bool begun = false;                   // BEGIN has gone to the server
  std::vector<pg::Statement> pending;   // the batch's upserts, sent with its COMMIT
  std::optional<std::size_t> last_failed_statement;  // of the last run(), if one failed
  RowIdCache row_ids;
  // A new connection missed whatever was announced while there was none.
  bool connected_since_asked = false;

  Impl(std::string conninfo_, StoreReporter report_) : conninfo(std::move(conninfo_)), report(std::move(report_)) {}

  void tell(Severity severity, const std::string& message) const {
    if (report) report(severity, message);
  }

  /// Creates the tables, or checks they are a version this build understands; under an
  /// advisory lock, so daemons starting together do not race.
  void migrate() {
    auto found = connection->run({statement("BEGIN"), statement("SELECT pg_advisory_xact_lock($1)", {kSchemaLock}),
                                  statement("CREATE TABLE IF NOT EXISTS grayling_schema (version integer NOT NULL)"),
                                  statement("SELECT coalesce(max(version), 0) FROM grayling_schema")},
                                 kRoundTrip, pg::Connection::Preparation::none);
    const std::int64_t version = found[3].integer(0, 0);
    if (version > kSchemaVersion) {
      connection->run({statement("ROLLBACK")}, kRoundTrip);
      throw StoreError(fmt::format("the PostgreSQL schema is version {}, newer than this grayling understands ({})",
                                   version, kSchemaVersion));
    }
    // A new database goes through the same steps as an old one, so both end alike.
    std::vector<pg::Statement> steps;
    if (version < 1) {
      for (const auto& sql : kSchemaV1) steps.push_back(statement(sql));
    }
    if (version < 2) {
      for (const auto& sql : kSchemaV2) steps.push_back(statement(sql));
    }
    if (version < kSchemaVersion) {
      steps.push_back(statement("INSERT INTO grayling_schema (version) VALUES ($1)", {std::to_string(kSchemaVersion)}));
    }
    steps.push_back(statement("COMMIT"));
    steps.push_back(statement(std::string("LISTEN ") + kChangeChannel));
    connection->run(steps, kRoundTrip, pg::Connection::Preparation::none);
    if (version == 0) {
      tell(Severity::warning, fmt::format("created the grayling tables in PostgreSQL (schema version {})", kSchemaVersion));
    } else if (version < kSchemaVersion) {
      tell(Severity::warning, fmt::format("migrated the grayling tables in PostgreSQL from schema version {} to {}",
                                          version, kSchemaVersion));
    }
  }

  /// A working connection, made again if it was lost; at most one attempt per backoff.
  pg::Connection& usable() {
    if (connection && connection->usable()) return *connection;
    connection.reset();
    const auto now = SteadyClock::now();
    if (now < next_attempt) {
      throw StoreError(fmt::format("PostgreSQL is unavailable (next attempt in {} s)",
                                   std::chrono::ceil<std::chrono::seconds>(next_attempt - now).count()));
    }
    try {
      connection = std::make_unique<pg::Connection>(conninfo);
      migrate();
    } catch (const StoreError& e) {
      connection.reset();
      next_attempt = now + backoff;
      backoff = std::min(backoff * 2, kLongestBackoff);
      // Unreachable is an outage; reachable but unusable (a newer schema) is the
      // caller's to report, and stops start-up.
      if (const auto* failure = dynamic_cast<const pg::Error*>(&e); failure && failure->connection_lost()) {
        outage(e.what());
      }
      throw;
    }
    backoff = std::chrono::seconds(1);
    connected_since_asked = true;
    if (outage_reported) {
      tell(Severity::warning, "PostgreSQL is back (" + connection->describe() + "); greylisting resumed");
      outage_reported = false;
    }
    return *connection;
  }

  /// One log line per outage, not one per batch.
  void outage(const std::string& why) {
    if (outage_reported) return;
    outage_reported = true;
    tell(Severity::error, "lost PostgreSQL: " + why + "; answering per --store-error-action and reconnecting");
  }

  std::vector<pg::Result> run(const std::vector<pg::Statement>& statements) {
    pg::Connection& open = usable();
    last_failed_statement.reset();
    try {
      return open.run(statements, kRoundTrip);
    } catch (const pg::Error& e) {
      last_failed_statement = e.statement();
      // A server that refuses writes is a standby: after a failover (the old primary
      // demoted, or a read-only one reached first) only a new connection finds the
      // primary, through the host list and target_session_attrs=read-write.
      const bool read_only = e.sqlstate() == kReadOnlyServer;
      if (e.connection_lost() || read_only) {
        connection.reset();
        in_transaction = begun = false;
        outage(read_only ? std::string(e.what()) + " (a standby: looking for the primary)" : e.what());
      }
      if (is_conflict(e.sqlstate())) throw StoreConflict(e.what());
      throw;
    }
  }

  /// BEGIN, if this transaction has not sent it yet, ahead of `statements`.
  std::vector<pg::Statement> opening(std::vector<pg::Statement> statements) {
    if (!begun) statements.insert(statements.begin(), statement("BEGIN"));
    return statements;
  }

  /// Runs reads in the open transaction (or, outside begin()/commit(), in the pipeline's
  /// implicit one, whose row locks end at its sync); returns their results alone. Writes
  /// saved earlier in the transaction go first, so the reads see them (a batch loads
  /// before it saves, so it pays nothing for this).
  std::vector<pg::Result> read(std::vector<pg::Statement> reads) {
    std::vector<pg::Statement> statements = std::move(pending);
    pending.clear();
    std::size_t skipped = statements.size() + (in_transaction && !begun ? 1 : 0);
    for (auto& each : reads) statements.push_back(std::move(each));
    auto results = run(in_transaction ? opening(std::move(statements)) : std::move(statements));
    if (in_transaction) begun = true;
    results.erase(results.begin(), results.begin() + static_cast<std::ptrdiff_t>(skipped));
    return results;
  }

  /// Queues one statement per table that writes `triplets` and `clients` over arrays, to
  /// go with the COMMIT; a stored row (t, c) is updated as the SET clauses say (its key
  /// too). At most one row per id: a statement may not update a row twice.
  void upsert(const std::vector<TripletRow>& triplets, const std::vector<ClientRow>& clients,
              const std::string& set_triplet, const std::string& set_client) {
    if (!triplets.empty()) {
      std::vector<std::int64_t> ids, first_seen, last_seen;
      std::vector<bool> passed;
      std::vector<std::string_view> keys;
      for (const auto& [id, record, key] : triplets) {
        ids.push_back(id);
        first_seen.push_back(record.first_seen);
        last_seen.push_back(record.last_seen);
        passed.push_back(record.passed);
        keys.push_back(key);
      }
      pending.push_back(statement(
          "INSERT INTO grayling_triplets AS t (id, first_seen, last_seen, passed, key) "
          "SELECT i, f, l, p, decode(k, 'hex') FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::boolean[], "
          "$5::text[]) AS u (i, f, l, p, k) "
          "ON CONFLICT (id) DO UPDATE SET " + set_triplet,
          {pg::array_literal(ids), pg::array_literal(first_seen), pg::array_literal(last_seen),
           pg::array_literal(passed), pg::hex_array_literal(keys)}));
    }
    if (!clients.empty()) {
      std::vector<std::int64_t> ids, counts, last_seen;
      std::vector<std::string_view> keys;
      for (const auto& [id, record, key] : clients) {
        ids.push_back(id);
        counts.push_back(record.count);
        last_seen.push_back(record.last_seen);
        keys.push_back(key);
      }
      pending.push_back(statement(
          "INSERT INTO grayling_clients AS c (id, count, last_seen, key) "
          "SELECT i, n, l, decode(k, 'hex') FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[]) "
          "AS u (i, n, l, k) "
          "ON CONFLICT (id) DO UPDATE SET " + set_client,
          {pg::array_literal(ids), pg::array_literal(counts), pg::array_literal(last_seen),
           pg::hex_array_literal(keys)}));
    }
  }

  /// Tells the daemons listening, when the transaction commits, that rows changed.
  void announce_change() { pending.push_back(statement(std::string("NOTIFY ") + kChangeChannel)); }

  std::size_t count(const char* sql) { return static_cast<std::size_t>(run({statement(sql)})[0].integer(0, 0)); }

  std::size_t delete_some(const std::string& sql, std::vector<std::string> params) {
    return static_cast<std::size_t>(run({statement(sql, std::move(params))})[0].integer(0, 0));
  }
};

PostgresqlStore::PostgresqlStore(std::string conninfo, StoreReporter report)
    : impl_(std::make_unique<Impl>(std::move(conninfo), std::move(report))) {
  // A database that cannot be reached at start-up is an outage like any other: grayling
  // starts, answers per --store-error-action, and connects once the database is there.
  // A database that answers but cannot be used (a newer schema) stops start-up.
  try {
    impl_->usable();
  } catch (const pg::Error& e) {
    if (!e.connection_lost()) throw;
  }
}

PostgresqlStore::~PostgresqlStore() = default;

void PostgresqlStore::begin() {
  impl_->usable();
  impl_->in_transaction = true;
  impl_->begun = false;
  impl_->pending.clear();
  impl_->row_ids.clear();
}

Records PostgresqlStore::load(const RecordKeys& keys) {
  LoadPlan plan(keys, impl_->row_ids);
  return plan.records(impl_->read(plan.statements()), 0);
}

std::optional<Records> PostgresqlStore::commit_and_load(const RecordKeys& next) {
  if (!impl_->in_transaction || (!impl_->begun && impl_->pending.empty())) {
    return Store::commit_and_load(next);  // nothing went to the server yet: no round trip to share
  }
  // This transaction's upserts and COMMIT, then the next one's BEGIN and loads, in one
  // pipeline: under load, one round trip per batch instead of two.
  std::vector<pg::Statement> statements = impl_->opening(std::move(impl_->pending));
  impl_->pending.clear();
  statements.push_back(statement("COMMIT"));
  const std::size_t commit = statements.size() - 1;
  statements.push_back(statement("BEGIN"));
  impl_->row_ids.clear();
  LoadPlan plan(next, impl_->row_ids);
  for (auto& each : plan.statements()) statements.push_back(std::move(each));
  // A BEGIN goes out either way: whichever transaction a failure leaves open, the
  // caller's rollback() (or ours) must end it.
  impl_->begun = true;
  try {
    auto results = impl_->run(statements);
    return plan.records(results, commit + 2);  // the next transaction is open, its rows loaded
  } catch (const StoreError&) {
    const auto failed = impl_->last_failed_statement;
    if (!impl_->connection || !failed || *failed <= commit) throw;  // this transaction did not commit
    // Committed; the next transaction failed at its start (the server skipped the rest):
    // end it, and let the caller begin it afresh.
    rollback();
    return std::nullopt;
  }
}

void PostgresqlStore::save(const Writes& writes) {
  // One statement per table over arrays, sent with the COMMIT: the batch's second and
  // last round trip. Rows go in key order, the same on every host.
  std::vector<TripletRow> triplets;
  for (const auto& [key, record] : writes.triplets) {
    triplets.push_back({impl_->row_ids.saved(key), record, std::string(key)});
  }
  std::vector<ClientRow> clients;
  for (const auto& [key, record] : writes.clients) clients.push_back({impl_->row_ids.saved(key), record, std::string(key)});
  keep_last_per_id(triplets);
  keep_last_per_id(clients);
  // The row becomes the written key's (row_belongs_to), or a keyless one gets its key.
  impl_->upsert(triplets, clients,
                "first_seen = excluded.first_seen, last_seen = excluded.last_seen, passed = excluded.passed, "
                "key = coalesce(excluded.key, t.key)",
                "count = excluded.count, last_seen = excluded.last_seen, key = coalesce(excluded.key, c.key)");
}

void PostgresqlStore::commit() {
  if (!impl_->begun && impl_->pending.empty()) {  // nothing was sent, nothing to commit
    impl_->in_transaction = false;
    return;
  }
  std::vector<pg::Statement> statements = std::move(impl_->pending);
  impl_->pending.clear();
  statements.push_back(statement("COMMIT"));
  impl_->run(impl_->opening(std::move(statements)));
  impl_->in_transaction = impl_->begun = false;
}

void PostgresqlStore::rollback() noexcept {
  const bool sent = impl_->begun;
  impl_->in_transaction = impl_->begun = false;
  impl_->pending.clear();
  if (!sent || !impl_->connection || !impl_->connection->usable()) return;
  try {
    // Not prepared: it must end the transaction even on a session that lost our statements.
    impl_->connection->run({statement("ROLLBACK")}, kRoundTrip, pg::Connection::Preparation::none);
  } catch (const std::exception&) {
    impl_->connection.reset();  // in an unknown state: start afresh
  }
}

std::size_t PostgresqlStore::expire(const ExpiryCutoffs& cutoffs, std::size_t max_rows) {
  // One daemon expires at a time; the others find the lock taken and skip this round.
  auto locked = impl_->run(impl_->opening({statement("SELECT pg_try_advisory_xact_lock($1)", {kExpiryLock})}));
  const bool first_sent = !impl_->begun;
  impl_->begun = true;
  if (!locked[first_sent ? 1 : 0].boolean(0, 0)) return 0;
  // Rows another transaction holds (a batch deciding them right now) are skipped: expiry
  // never waits for requests, and they are not stale anyway.
  const std::string triplets =
      "WITH gone AS (DELETE FROM grayling_triplets WHERE id IN (SELECT id FROM grayling_triplets "
      "WHERE passed = $1 AND last_seen < $2 LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING 1) SELECT count(*) FROM gone";
  std::size_t removed = impl_->delete_some(
      triplets, {"f", std::to_string(std::max(cutoffs.pending_before, cutoffs.max_age_before)), std::to_string(max_rows)});
  if (removed < max_rows) {
    removed += impl_->delete_some(
        triplets, {"t", std::to_string(cutoffs.max_age_before), std::to_string(max_rows - removed)});
  }
  if (removed < max_rows) {
    removed += impl_->delete_some(
        "WITH gone AS (DELETE FROM grayling_clients WHERE id IN (SELECT id FROM grayling_clients "
        "WHERE last_seen < $1 LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING 1) SELECT count(*) FROM gone",
        {std::to_string(cutoffs.max_age_before), std::to_string(max_rows - removed)});
  }
  return removed;
}

std::vector<TripletRow> PostgresqlStore::triplet_rows(std::int64_t from_id, std::size_t limit) {
  auto results = impl_->read({statement(
      "SELECT id, first_seen, last_seen, passed, encode(key, 'hex') FROM grayling_triplets WHERE id >= $1 "
      "ORDER BY id LIMIT $2",
      {std::to_string(from_id), std::to_string(limit)})});
  std::vector<TripletRow> rows;
  const pg::Result& page = results[0];
  for (int row = 0; row < page.rows(); ++row) {
    rows.push_back({page.integer(row, 0), {page.integer(row, 1), page.integer(row, 2), page.boolean(row, 3)},
                    pg::from_hex(page.text(row, 4))});
  }
  return rows;
}

std::vector<ClientRow> PostgresqlStore::client_rows(std::int64_t from_id, std::size_t limit) {
  auto results = impl_->read({statement(
      "SELECT id, count, last_seen, encode(key, 'hex') FROM grayling_clients WHERE id >= $1 ORDER BY id LIMIT $2",
      {std::to_string(from_id), std::to_string(limit)})});
  std::vector<ClientRow> rows;
  const pg::Result& page = results[0];
  for (int row = 0; row < page.rows(); ++row) {
    rows.push_back({page.integer(row, 0), {page.integer(row, 1), page.integer(row, 2)}, pg::from_hex(page.text(row, 3))});
  }
  return rows;
}

void PostgresqlStore::merge(const std::vector<TripletRow>& triplets, const std::vector<ClientRow>& clients) {
  // merged_record() in SQL (records.hpp). Ids in order: no deadlock with a daemon's batch.
  // One row per id, as merging them in turn would leave it: one statement may not update
  // a row twice.
  auto sorted_triplets = triplets;
  sort_and_fold_by_id(sorted_triplets);
  auto sorted_clients = clients;
  sort_and_fold_by_id(sorted_clients);
  // A stored row keeps its key; one written before keys were kept (schema 1) takes it.
  impl_->upsert(sorted_triplets, sorted_clients,
                "first_seen = least(t.first_seen, excluded.first_seen), "
                "last_seen = greatest(t.last_seen, excluded.last_seen), passed = t.passed OR excluded.passed, "
                "key = coalesce(t.key, excluded.key)",
                "count = greatest(c.count, excluded.count), last_seen = greatest(c.last_seen, excluded.last_seen), "
                "key = coalesce(c.key, excluded.key)");
  impl_->announce_change();
}

std::size_t PostgresqlStore::remove(const std::vector<std::int64_t>& triplet_ids,
                                   const std::vector<std::int64_t>& client_ids) {
  auto results = impl_->read(
      {statement("WITH gone AS (DELETE FROM grayling_triplets WHERE id = ANY($1::bigint[]) RETURNING 1) "
                 "SELECT count(*) FROM gone",
                 {pg::array_literal(triplet_ids)}),
       statement("WITH gone AS (DELETE FROM grayling_clients WHERE id = ANY($1::bigint[]) RETURNING 1) "
                 "SELECT count(*) FROM gone",
                 {pg::array_literal(client_ids)})});
  impl_->announce_change();
  return static_cast<std::size_t>(results[0].integer(0, 0) + results[1].integer(0, 0));
}

bool PostgresqlStore::changed_elsewhere() {
  bool changed = std::exchange(impl_->connected_since_asked, false);
  if (!impl_->connection) return changed;
  try {
    // Under load a transaction is always open (each batch's COMMIT carries the next one's
    // BEGIN): a notification then arrives with a round trip's results, and is only
    // collected here; the socket itself is read only between transactions.
    changed = impl_->connection->notified(!impl_->in_transaction) || changed;
  } catch (const pg::Error&) {
    impl_->connection.reset();  // noticed here first; the next batch reconnects
    changed = true;
  }
  return changed;
}

StoreStats PostgresqlStore::stats(const ExpiryCutoffs& cutoffs) {
  // The same stale rows as expire() finds: pending ones at the later of the two cutoffs.
  auto results = impl_->read(
      {statement("SELECT count(*) FILTER (WHERE NOT passed), count(*) FILTER (WHERE passed), "
                 "coalesce(min(first_seen), 0), count(*) FILTER (WHERE last_seen < $1 OR "
                 "(NOT passed AND last_seen < $2)) FROM grayling_triplets",
                 {std::to_string(cutoffs.max_age_before), std::to_string(cutoffs.pending_before)}),
       statement("SELECT count(*), count(*) FILTER (WHERE last_seen < $1), "
                 "pg_total_relation_size('grayling_triplets') + pg_total_relation_size('grayling_clients') "
                 "FROM grayling_clients",
                 {std::to_string(cutoffs.max_age_before)})});
  StoreStats stats;
  stats.pending = static_cast<std::size_t>(results[0].integer(0, 0));
  stats.passed = static_cast<std::size_t>(results[0].integer(0, 1));
  if (stats.pending + stats.passed > 0) stats.oldest = results[0].integer(0, 2);
  stats.due_for_expiry = static_cast<std::size_t>(results[0].integer(0, 3) + results[1].integer(0, 1));
  stats.clients = static_cast<std::size_t>(results[1].integer(0, 0));
  stats.bytes = static_cast<std::uint64_t>(results[1].integer(0, 2));
  return stats;
}

std::size_t PostgresqlStore::triplet_count() { return impl_->count("SELECT count(*) FROM grayling_triplets"); }
std::size_t PostgresqlStore::client_count() { return impl_->count("SELECT count(*) FROM grayling_clients"); }

}  // namespace grayling
