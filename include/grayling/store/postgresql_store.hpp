#pragma once
/// A Store in PostgreSQL, shared by the grayling daemons of several MX hosts.

#include <memory>
#include <string>

#include "grayling/store/store.hpp"

namespace grayling {

/// Triplets and clients in PostgreSQL tables (grayling_triplets, grayling_clients), keyed
/// by the same 64-bit digests as the SQLite store. A batch is two round trips whatever its
/// size: BEGIN and the loads (rows locked FOR UPDATE in key order, so two hosts never
/// deadlock and never both count the same first pass), then the upserts and COMMIT.
///
/// - Time is the database's: every host's batch uses the transaction's timestamp, so
///   hosts whose clocks differ by seconds still agree on when a triplet was first seen.
/// - Commits are synchronous (synchronous_commit stays on): an answer Postfix got
///   survives a database restart. --sync does not apply.
/// - A lost connection is reported once, retried with backoff (1 s doubling to 30 s),
///   and its return reported once; meanwhile every batch fails at once.
/// - Expiry: one host at a time (a transaction-level advisory lock), in small batches,
///   skipping rows another transaction holds.
class PostgresqlStore final : public Store {
 public:
  /// Connects and creates or migrates the schema. Throws StoreError.
  explicit PostgresqlStore(std::string conninfo, StoreReporter report = {});
  ~PostgresqlStore() override;
  PostgresqlStore(const PostgresqlStore&) = delete;
  PostgresqlStore& operator=(const PostgresqlStore&) = delete;

  void begin() override;
  void commit() override;
  void rollback() noexcept override;
  Records load(const RecordKeys& keys) override;
  std::optional<Records> commit_and_load(const RecordKeys& next) override;
  void save(const Writes& writes) override;
  std::size_t expire(const ExpiryCutoffs& cutoffs, std::size_t max_rows) override;
  std::vector<TripletRow> triplet_rows(std::int64_t from_id, std::size_t limit) override;
  std::vector<ClientRow> client_rows(std::int64_t from_id, std::size_t limit) override;
  void merge(const std::vector<TripletRow>& triplets, const std::vector<ClientRow>& clients) override;
  std::size_t remove(const std::vector<std::int64_t>& triplet_ids, const std::vector<std::int64_t>& client_ids) override;
  bool changed_elsewhere() override;
  StoreStats stats(const ExpiryCutoffs& cutoffs) override;
  std::size_t triplet_count() override;
  std::size_t client_count() override;
  [[nodiscard]] std::optional<EpochSeconds> pass_cache_seconds() const override { return kPassCacheSeconds; }

  /// The schema version this build writes (grayling_schema.version).
  static constexpr int kSchemaVersion = 2;
  /// The bound on a pass repeated from another host's cache after its row went.
  static constexpr EpochSeconds kPassCacheSeconds = 10;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace grayling
