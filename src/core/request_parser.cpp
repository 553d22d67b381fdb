#include "grayling/core/request_parser.hpp"

#include <fmt/format.h>

namespace grayling {

namespace {
constexpr std::size_t kGarbageSample = 100;
}

RequestParser::Step RequestParser::feed(std::string_view input) {
  std::size_t pos = 0;
  while (pos < input.size()) {
    const std::size_t newline = input.find('\n', pos);
    if (newline == std::string_view::npos) {
      // Keep the partial line, but never more than one line's worth.
      if (partial_line_.size() + (input.size() - pos) > limits_.max_line_bytes + 1) {  // +1: a CR
        return {fail(fmt::format("line longer than {} bytes", limits_.max_line_bytes)), input.size()};
      }
      partial_line_.append(input.substr(pos));
      return {Status::need_more, input.size()};
    }

    std::string_view segment = input.substr(pos, newline - pos);
    pos = newline + 1;
    Status status;
    if (partial_line_.empty()) {
      status = accept_line(segment);  // the common case: no copy
    } else {
      partial_line_.append(segment);
      std::string line = std::move(partial_line_);
      partial_line_.clear();
      status = accept_line(line);
    }
    if (status != Status::need_more) return {status, pos};
  }
  return {Status::need_more, pos};
}

RequestParser::Status RequestParser::accept_line(std::string_view line) {
  // A CRLF line's CR does not count against the limit: LF and CRLF clients are alike.
  const std::size_t content = line.size() - (!line.empty() && line.back() == '\r' ? 1 : 0);
  if (content > limits_.max_line_bytes) {
    return fail(fmt::format("line longer than {} bytes", limits_.max_line_bytes));
  }
  request_bytes_ += line.size() + 1;
  if (request_bytes_ > limits_.max_request_bytes) {
    return fail(fmt::format("request larger than {} bytes", limits_.max_request_bytes));
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // tolerate CRLF

  if (line.empty()) {
    // Empty lines before any attribute are stray separators, not an empty request.
    if (attribute_lines_ == 0 && garbage_.empty()) {
      request_bytes_ = 0;
      return Status::need_more;
    }
    return Status::complete;
  }

  const std::size_t equals = line.find('=');
  if (equals == 0 || equals == std::string_view::npos) {
    garbage_.emplace_back(line.substr(0, kGarbageSample));
    return Status::need_more;
  }
  if (++attribute_lines_ > limits_.max_attributes) {
    return fail(fmt::format("more than {} attributes", limits_.max_attributes));
  }
  // Values may contain '=': split on the first one only.
  request_.set(line.substr(0, equals), line.substr(equals + 1));
  return Status::need_more;
}

RequestParser::Status RequestParser::fail(std::string message) {
  error_ = std::move(message);
  return Status::error;
}

PolicyRequest RequestParser::take_request() {
  PolicyRequest done = std::move(request_);
  request_ = PolicyRequest{};
  request_bytes_ = 0;
  attribute_lines_ = 0;
  garbage_.clear();
  return done;
}

}  // namespace grayling
