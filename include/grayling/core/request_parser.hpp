#pragma once
/// Incremental, bounded parser for the Postfix SMTPD policy delegation protocol.
///
/// It does no I/O: the caller feeds whatever bytes arrived and gets back how many were
/// consumed and whether a request is complete. Every buffer it keeps is capped, so a
/// hostile client cannot make it grow without bound.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "grayling/core/policy_request.hpp"

namespace grayling {

/// Caps on what one client may send. Exceeding any of them is a protocol error.
struct ParserLimits {
  std::size_t max_line_bytes = 4096;       // longest name=value line (Postfix values are short)
  std::size_t max_request_bytes = 65536;   // a whole request, all lines together
  std::size_t max_attributes = 256;        // Postfix 3.12 sends about 40
  friend bool operator==(const ParserLimits&, const ParserLimits&) = default;
};

/// Turns a byte stream into PolicyRequests; one parser per connection.
class RequestParser {
 public:
  enum class Status { need_more, complete, error };

  /// The outcome of one feed(): `consumed` bytes of the input were used.
  struct Step {
    Status status;
    std::size_t consumed;
  };

  explicit RequestParser(ParserLimits limits = {}) : limits_(limits) {}

  /// Consumes input up to and including the end of at most one request. After `complete`,
  /// call take_request() and feed the rest of the input again. After `error`, error()
  /// says why and the connection should be closed; the parser must not be fed again.
  Step feed(std::string_view input);

  /// The request completed by the last feed(); resets the parser for the next one.
  PolicyRequest take_request();

  /// Lines of the current or last request that were not name=value (first 100 bytes each).
  /// postgrey logs and ignores these; so do we.
  [[nodiscard]] const std::vector<std::string>& garbage() const { return garbage_; }

  /// True when no part of a request has been read since the last one completed.
  [[nodiscard]] bool between_requests() const { return partial_line_.empty() && request_bytes_ == 0; }
  /// New limits (after a reload); call between requests.
  void set_limits(ParserLimits limits) { limits_ = limits; }

  /// Why the last feed() returned `error`.
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  Status accept_line(std::string_view line);
  Status fail(std::string message);

  ParserLimits limits_;
  PolicyRequest request_;
  std::string partial_line_;
  std::size_t request_bytes_ = 0;
  std::size_t attribute_lines_ = 0;
  std::vector<std::string> garbage_;
  std::string error_;
};

}  // namespace grayling
