#pragma once
/// DNS as grayling asks it: one question at a time, answered through a callback on the
/// caller's (I/O) thread, never blocking it. The daemon's resolver is libunbound on the
/// event loop (unbound_resolver.hpp); tests and the delivery benchmark use stubs.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace grayling::dns {

/// The record types SPF needs (RFC 7208 § 4.6.4: A, AAAA, MX, PTR, TXT).
enum class RecordType : std::uint16_t { a = 1, ptr = 12, mx = 15, txt = 16, aaaa = 28 };

struct Answer {
  enum class Status {
    ok,        // records (possibly none: a name with other types only)
    nxdomain,  // the name does not exist
    error,     // SERVFAIL, REFUSED, a malformed answer: try again later (SPF temperror)
    timeout,   // no answer in time (SPF temperror)
  };
  Status status = Status::error;
  // A and AAAA: addresses as text; TXT: each record's strings joined; MX: the exchange's
  // name (preference dropped: SPF does not use it); PTR: the names. Names without the
  // final dot, as SPF compares them.
  std::vector<std::string> records;
};

class Resolver {
 public:
  using Callback = std::function<void(Answer)>;
  virtual ~Resolver() = default;
  /// Asks for `type` records of `name`; `done` runs exactly once, later, on the thread
  /// that runs the resolver's event loop (never inside this call).
  virtual void resolve(const std::string& name, RecordType type, Callback done) = 0;
  /// The daemon is stopping: every question still open is answered Status::error (so no
  /// request waits on DNS), later ones at once, and the resolver no longer holds the
  /// event loop open.
  virtual void stop() {}
  /// True when it has as many questions out as it may: a new one would wait its turn.
  [[nodiscard]] virtual bool busy() const { return false; }
};

}  // namespace grayling::dns
