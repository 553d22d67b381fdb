#pragma once
/// What grayling-bench sends: Postfix-like policy requests, chosen per workload.

#include <atomic>
#include <cstdint>
#include <string>

#include "bench_options.hpp"
#include "names.hpp"

namespace bench {

/// Appends one RCPT-state smtpd_access_policy request (17 attributes, ~400 bytes, ended by
/// the empty line) for `triplet`; `instance` makes each message distinct, as Postfix does.
void append_request(std::string& out, const Triplet& triplet, std::uint64_t instance);

/// Where a connection gets its next request. One source per client thread.
class RequestSource {
 public:
  virtual ~RequestSource() = default;
  /// Replaces `out` with the next request; false when there is none.
  virtual bool next(std::string& out) = 0;
};

/// Known-set setup: every known triplet exactly once, shared by all threads through `cursor`.
class SetupSource final : public RequestSource {
 public:
  SetupSource(const Options& options, std::atomic<std::uint64_t>& cursor, unsigned thread_index, unsigned round);
  bool next(std::string& out) override;

 private:
  const Options& options_;
  std::atomic<std::uint64_t>& cursor_;
  Triplet triplet_;
  std::uint64_t instance_;
};

/// The measured stream: new, known (uniform over the set), whitelisted, or the 30/60/10 mix.
class WorkloadSource final : public RequestSource {
 public:
  WorkloadSource(const Options& options, unsigned thread_index, unsigned thread_count);
  bool next(std::string& out) override;

 private:
  const Options& options_;
  std::uint64_t rng_;
  std::uint64_t fresh_next_;     // this thread's next never-used index
  std::uint64_t whitelist_next_;
  const std::uint64_t stride_;   // thread count: threads never share an index
  Triplet triplet_;
  std::uint64_t instance_;
};

}  // namespace bench
