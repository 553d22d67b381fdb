#pragma once
/// One SPF check (RFC 7208 check_host()) as a resumable state machine that never touches
/// the network: it says which DNS queries it needs, the caller resolves them however it
/// likes (asynchronously in the daemon) and hands the answers back, until it says the
/// result. No sockets, no clock, no globals: the same inputs and answers give the same
/// result.
///
///   Check check(client, sender, helo);
///   while (true) {
///     auto step = check.step();
///     if (auto* result = std::get_if<Result>(&step)) return *result;
///     for (const DnsQuery& query : std::get<std::vector<DnsQuery>>(step))
///       check.answer(query, resolve(query));  // in any order, all of them
///   }

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "grayling/core/ip_address.hpp"
#include "grayling/spf/dns.hpp"
#include "grayling/spf/macro_string.hpp"
#include "grayling/spf/record.hpp"
#include "grayling/spf/result.hpp"

namespace grayling::spf {

namespace detail {
class AnswerBook;
}

/// How a check behaves beyond what RFC 7208 fixes.
struct Options {
  /// Terms causing DNS lookups (include, a, mx, ptr, exists, redirect) allowed per check;
  /// one more is a permerror. RFC 7208 4.6.4 says 10. It is also what ends include and
  /// redirect loops, so keep it small.
  int max_dns_mechanisms = 10;
  /// Lookups answered NXDOMAIN or with no records allowed per check (RFC 7208 4.6.4: 2).
  int max_void_lookups = 2;
  /// Fetch and expand the domain's explanation (exp=) when the result is "fail".
  bool explain = true;
  /// %{r} in explanations: the name of the host doing the check.
  std::string receiver = "unknown";
  /// %{t} in explanations: the time of the check in seconds since the epoch; the caller's
  /// clock, as the check has none.
  std::int64_t timestamp = 0;
};

/// One SPF check of a client against the MAIL FROM identity, or the HELO identity when
/// MAIL FROM is <> (RFC 7208 2.4: checked as postmaster@HELO).
class Check {
 public:
  /// What step() returns: the queries to answer next, or the result.
  using Step = std::variant<std::vector<DnsQuery>, Result>;

  /// `client` may be IPv4-mapped IPv6; it is checked as IPv4 (RFC 7208 5). `sender` is the
  /// MAIL FROM address, empty for <>.
  Check(const IpAddress& client, std::string_view sender, std::string_view helo, Options options = {});
  ~Check();
  Check(Check&&) noexcept;
  Check& operator=(Check&&) noexcept;

  /// Runs as far as the answers given allow. Returns the queries still needed to go on
  /// (answer all of them, in any order, then call again; calling again without answers
  /// returns them again), or the result once there is one (and then always that).
  /// Queries are batched as far as RFC 7208's order of evaluation allows: one mx
  /// mechanism's host addresses, for instance, are asked for together.
  Step step();

  /// Gives the answer to a query step() returned. Answers to other queries are kept, and
  /// used if the check comes to ask them.
  void answer(const DnsQuery& query, DnsAnswer answer);

 private:
  // One check_host() in progress: the sender's domain, an include: target, or a
  // redirect= target (which takes the place of the record that named it).
  struct Frame {
    std::string domain;            // <domain>
    std::string included_as;       // the include: target that started it (kept across redirects)
    bool via_redirect = false;     // "none" here means a permerror (RFC 7208 6.1)
    std::optional<Record> record;  // once fetched and parsed
    std::size_t term = 0;          // the directive being evaluated; past the last: the modifiers
    bool counted = false;          // the current term was counted against the lookup limit
    double vouched = 0;            // addresses its "+" networks name (Matched::vouched_addresses)
  };

  // What a finished check_host() gives its caller.
  struct Verdict {
    Code code = Code::neutral;
    std::optional<Matched> matched;
    std::string problem;
    // The exp= of the record whose directive decided, and that record's <domain>.
    std::optional<MacroString> explanation;
    std::string explanation_domain;
  };

  bool advance();
  bool fetch_record();
  bool evaluate_term();
  bool follow_redirect();
  bool explain();
  void next_term();
  bool count_dns_mechanism();
  [[nodiscard]] double vouched_on_the_way() const;
  void finish_frame(Verdict verdict);
  void conclude(Verdict verdict);
  bool expand(const MacroString& macros, const std::string& domain, std::string& out);

  IpAddress client_;
  MacroValues values_;  // every letter but d and p, which depend on the moment
  Options options_;
  std::string checked_domain_;
  std::unique_ptr<detail::AnswerBook> book_;
  std::vector<Frame> frames_;
  int dns_mechanisms_ = 0;
  int void_lookups_ = 0;
  std::optional<Verdict> explaining_;  // a "fail" waiting for its explanation
  std::optional<Result> result_;
};

}  // namespace grayling::spf
