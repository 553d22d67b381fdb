#include "grayling/core/decision_log.hpp"

#include <fmt/format.h>

#include "grayling/core/ip_address.hpp"

namespace grayling {

namespace {
void append_field(std::string& line, std::string_view name, std::string_view value) {
  if (value.empty()) return;
  fmt::format_to(std::back_inserter(line), ", {}={}", name, value);
}
}  // namespace

std::string logged_client_address(std::string_view address) {
  // Parsed only when it might be mapped: this runs for every decision line.
  if (address.find(':') != std::string_view::npos) {
    if (const auto parsed = IpAddress::parse(address); parsed && parsed->is_v4_mapped()) {
      return parsed->unmapped().to_string();
    }
  }
  return std::string(address);
}

namespace {
/// The admin-facing form carries the prefix length, as the seed guide and postgrey 1.36 do.
std::string logged_host_route(std::string_view sent) {
  const std::string address = logged_client_address(sent);
  return fmt::format("{}/{}", address, address.find(':') != std::string::npos ? 128 : 32);
}
}  // namespace

std::string format_decision_line(const PolicyRequest& request, const Decision& decision) {
  std::string line;
  line.reserve(256);
  if (const auto queue_id = request.value("queue_id"); !queue_id.empty()) {
    fmt::format_to(std::back_inserter(line), "{}: ", queue_id);
  }
  const char* action = decision.outcome == Decision::Outcome::greylist ? "greylist" : "pass";
  fmt::format_to(std::back_inserter(line), "action={}, reason={}", action, decision.reason);
  if (decision.delay) fmt::format_to(std::back_inserter(line), ", delay={}", *decision.delay);

  append_field(line, "client_name", request.value("client_name"));
  if (const auto sent = request.value("client_address"); !sent.empty()) {
    fmt::format_to(std::back_inserter(line), ", client_address={}", logged_host_route(sent));
  }
  append_field(line, "sender", request.value("sender"));
  append_field(line, "recipient", request.value("recipient"));
  return line;
}

void append_json_escaped(std::string& out, std::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20) {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", byte);
    } else {
      out.push_back(c);
    }
  }
}

namespace {
void append_json_field(std::string& out, std::string_view name, std::string_view value) {
  if (value.empty()) return;
  if (!out.empty()) out.push_back(',');
  out.push_back('"');
  out.append(name);
  out.append("\":\"");
  append_json_escaped(out, value);
  out.push_back('"');
}
}  // namespace

std::string format_decision_json(const PolicyRequest& request, const Decision& decision) {
  std::string out;
  out.reserve(256);
  append_json_field(out, "queue_id", request.value("queue_id"));
  append_json_field(out, "action", decision.outcome == Decision::Outcome::greylist ? "greylist" : "pass");
  append_json_field(out, "reason", decision.reason);
  if (decision.delay) fmt::format_to(std::back_inserter(out), ",\"delay\":{}", *decision.delay);
  append_json_field(out, "client_name", request.value("client_name"));
  if (const auto sent = request.value("client_address"); !sent.empty()) {
    append_json_field(out, "client_address", logged_host_route(sent));
  }
  append_json_field(out, "sender", request.value("sender"));
  append_json_field(out, "recipient", request.value("recipient"));
  return out;
}

}  // namespace grayling
