#include "grayling/admin/log_line.hpp"

#include <algorithm>
#include <array>

#include "grayling/core/durations.hpp"

namespace grayling {

namespace {

bool is_alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/// Text after `prefix`, or nullopt when `text` does not start with it.
std::optional<std::string_view> after(std::string_view text, std::string_view prefix) {
  if (!text.starts_with(prefix)) return std::nullopt;
  return text.substr(prefix.size());
}

/// spdlog's "%l: " as grayling's pattern writes it; what follows is the message.
std::optional<std::string_view> after_level(std::string_view text) {
  static constexpr std::array<std::string_view, 6> kLevels{"trace: ", "debug: ", "info: ",
                                                           "warning: ", "error: ", "critical: "};
  for (const std::string_view level : kLevels) {
    if (auto rest = after(text, level)) return rest;
  }
  return std::nullopt;
}

/// "postgrey[123]" or "/usr/sbin/postgrey" -> which daemon; nullopt for any other program.
std::optional<LogSource> source_of_tag(std::string_view tag) {
  tag = tag.substr(0, tag.find('['));
  if (const std::size_t slash = tag.rfind('/'); slash != std::string_view::npos) tag.remove_prefix(slash + 1);
  if (tag == "grayling") return LogSource::grayling;
  if (tag == "postgrey") return LogSource::postgrey;
  return std::nullopt;
}

struct Tagged {
  std::string_view tag;
  std::string_view message;
};

/// "TAG: MESSAGE" where TAG is one word; syslog's tag, or a queue id.
std::optional<Tagged> split_tag(std::string_view text) {
  const std::size_t colon = text.find(": ");
  if (colon == 0 || colon == std::string_view::npos) return std::nullopt;
  const std::string_view tag = text.substr(0, colon);
  if (tag.find(' ') != std::string_view::npos) return std::nullopt;
  return Tagged{tag, text.substr(colon + 2)};
}

/// "host TAG: MESSAGE", or "TAG: MESSAGE" from syslog daemons that leave the host out.
std::optional<Tagged> split_syslog_header(std::string_view text) {
  if (auto tagged = split_tag(text)) return tagged;
  const std::size_t space = text.find(' ');
  if (space == 0 || space == std::string_view::npos) return std::nullopt;
  return split_tag(text.substr(space + 1));
}

/// "a=1, b=x, y, c=3": the value of `name`, up to the next ", key=" (so a comma inside a
/// value, rare but legal in a quoted local part, stays in it).
void read_fields(std::string_view text, LogLine& line) {
  while (!text.empty()) {
    const std::size_t equals = text.find('=');
    if (equals == std::string_view::npos) return;
    const std::string_view name = text.substr(0, equals);
    text.remove_prefix(equals + 1);
    std::size_t end = 0;
    for (end = text.find(", "); end != std::string_view::npos; end = text.find(", ", end + 1)) {
      const std::string_view next = text.substr(end + 2);
      const std::size_t next_equals = next.find('=');
      if (next_equals != std::string_view::npos && next_equals > 0 &&
          std::all_of(next.begin(), next.begin() + static_cast<std::ptrdiff_t>(next_equals),
                      [](char c) { return c == '_' || (c >= 'a' && c <= 'z'); })) {
        break;
      }
    }
    const std::string_view value = text.substr(0, end);
    if (name == "reason") line.reason = value;
    else if (name == "delay") line.delay = parse_count(value);
    else if (name == "client_name") line.client_name = value;
    else if (name == "client_address") line.client_address = value;
    else if (name == "sender") line.sender = value;
    else if (name == "recipient") line.recipient = value;
    if (end == std::string_view::npos) return;
    text.remove_prefix(end + 2);
  }
}

/// MESSAGE of either daemon: fills kind and fields, or leaves the line `other`.
void read_message(std::string_view message, LogLine& line) {
  if (auto client = after(message, "whitelisted: ")) {
    line.kind = LogLine::Kind::whitelisted;
    line.whitelisted = *client;
    return;
  }
  if (!message.starts_with("action=")) {
    // Postfix queue ids are alphanumeric; both daemons put one first when Postfix sent it.
    const auto tagged = split_tag(message);
    if (!tagged || !std::all_of(tagged->tag.begin(), tagged->tag.end(), is_alnum)) return;
    if (!tagged->message.starts_with("action=")) return;
    line.queue_id = tagged->tag;
    message = tagged->message;
  }
  message.remove_prefix(std::string_view("action=").size());
  if (auto rest = after(message, "greylist")) {
    line.kind = LogLine::Kind::greylist;
    message = *rest;
  } else if (auto passed = after(message, "pass")) {
    line.kind = LogLine::Kind::pass;
    message = *passed;
  } else {
    return;
  }
  if (message.empty()) return;
  if (!message.starts_with(", ")) {
    line.kind = LogLine::Kind::other;  // "action=passive" is not ours
    return;
  }
  read_fields(message.substr(2), line);
}

}  // namespace

LogLine parse_log_line(std::string_view text, const LogClock& clock) {
  LogLine line;
  if (text.ends_with('\r')) text.remove_suffix(1);
  std::optional<LogStamp> stamp = parse_iso_stamp(text, clock);
  if (!stamp) stamp = parse_syslog_stamp(text, clock);
  if (stamp) {
    line.time = stamp->time;
    text.remove_prefix(std::min(stamp->length + 1, text.size()));
  }

  if (auto message = stamp ? after_level(text) : std::nullopt) {
    // Only grayling writes "STAMP level: message".
    line.source = LogSource::grayling;
    text = *message;
  } else if (auto header = stamp ? split_syslog_header(text) : split_tag(text)) {
    const auto source = source_of_tag(header->tag);
    if (source) {
      line.source = *source;
      text = header->message;
    } else if (stamp) {
      return line;  // another program's line: postfix/smtpd's text is not a decision
    }
    // Without a stamp "TAG: " may be a queue id: read_message decides.
  } else if (stamp) {
    return line;
  }

  // grayling's stderr as the journal keeps it: its own stamp (with the year) inside.
  if (line.source == LogSource::grayling) {
    if (const auto inner = parse_iso_stamp(text, clock)) {
      if (auto message = after_level(text.substr(std::min(inner->length + 1, text.size())))) {
        line.time = inner->time;
        text = *message;
      }
    }
  }
  read_message(text, line);
  if (line.kind == LogLine::Kind::other) line.source = LogSource::unknown;
  return line;
}

}  // namespace grayling
