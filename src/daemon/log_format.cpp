#include "log_format.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <string>

#include "grayling/core/decision_log.hpp"

namespace grayling {

namespace {

/// syslog(3)'s priority of a level: what the journal files the line under.
int priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return 7;
    case spdlog::level::info: return 6;
    case spdlog::level::warn: return 4;
    case spdlog::level::err: return 3;
    case spdlog::level::critical: return 2;
    default: return 6;
  }
}

class LineFormatter final : public spdlog::formatter {
 public:
  explicit LineFormatter(LogFormat format) : format_(format) {}

  void format(const spdlog::details::log_msg& message, spdlog::memory_buf_t& out) override {
    std::string line;
    if (format_.priority_prefix) line += fmt::format("<{}>", priority(message.level));
    const std::string_view text(message.payload.data(), message.payload.size());
    const bool fields = !text.empty() && text.front() == kJsonFieldsMarker;
    const auto level_name = spdlog::level::to_string_view(message.level);
    const std::string_view level(level_name.data(), level_name.size());
    if (format_.json) {
      line.push_back('{');
      if (format_.timestamp) line += "\"time\":\"" + stamp(message, true) + "\",";
      line += fmt::format("\"level\":\"{}\",", std::string_view(level.data(), level.size()));
      if (fields) {
        line.append(text.substr(1));
      } else {
        line += "\"message\":\"";
        append_json_escaped(line, text);
        line.push_back('"');
      }
      line.push_back('}');
    } else {
      if (format_.timestamp) line += stamp(message, false) + " " + std::string(level.data(), level.size()) + ": ";
      line.append(fields ? text.substr(1) : text);  // (text mode never gets fields)
    }
    line.push_back('\n');
    out.append(line.data(), line.data() + line.size());
  }

  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<LineFormatter>(format_);
  }

 private:
  /// "2026-12-02 10:00:00.123" in local time (the text line, as before), or ISO 8601 UTC.
  static std::string stamp(const spdlog::details::log_msg& message, bool iso) {
    const auto since = message.time.time_since_epoch();
    const std::time_t seconds = std::chrono::duration_cast<std::chrono::seconds>(since).count();
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since).count() % 1000;
    std::tm tm{};
    if (iso) {
      gmtime_r(&seconds, &tm);
      return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", tm, millis);
    }
    localtime_r(&seconds, &tm);
    return fmt::format("{:%Y-%m-%d %H:%M:%S}.{:03}", tm, millis);
  }

  LogFormat format_;
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_log_formatter(LogFormat format) {
  return std::make_unique<LineFormatter>(format);
}

bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (!stream) return false;
  struct stat info {};
  if (::fstat(STDERR_FILENO, &info) != 0) return false;
  unsigned long long device = 0, inode = 0;
  if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) return false;
  return device == info.st_dev && inode == info.st_ino;
}

}  // namespace grayling
