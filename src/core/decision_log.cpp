#include "grayling/core/decision_log.hpp"

#include <fmt/format.h>

namespace grayling {

namespace {
void append_field(std::string& line, std::string_view name, std::string_view value) {
  if (value.empty()) return;
  fmt::format_to(std::back_inserter(line), ", {}={}", name, value);
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
  // The admin-facing form carries the prefix length, as the seed guide and postgrey 1.36 do.
  if (const auto address = request.value("client_address"); !address.empty()) {
    const bool v6 = address.find(':') != std::string_view::npos;
    fmt::format_to(std::back_inserter(line), ", client_address={}/{}", address, v6 ? 128 : 32);
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
  if (const auto address = request.value("client_address"); !address.empty()) {
    const bool v6 = address.find(':') != std::string_view::npos;
    append_json_field(out, "client_address", fmt::format("{}/{}", address, v6 ? 128 : 32));
  }
  append_json_field(out, "sender", request.value("sender"));
  append_json_field(out, "recipient", request.value("recipient"));
  return out;
}

}  // namespace grayling
