// grayling-admin report: what greylisting did, from the log lines grayling writes in
// postgrey's shape, or from postgrey's own (to compare before and after a migration).
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "grayling/admin/log_report.hpp"
#include "grayling/admin/log_report_builder.hpp"
#include "grayling/admin/time_text.hpp"
#include "grayling/core/durations.hpp"

namespace grayling {

namespace {

constexpr const char* kDefaultLog = "/var/log/mail.log";

/// Seconds east of UTC here, for stamps that name no zone (syslog's).
std::int64_t local_utc_offset(EpochSeconds now) {
  const std::time_t time = now;
  std::tm local{};
  localtime_r(&time, &local);
  return local.tm_gmtoff;
}

void read_lines(std::istream& in, LogReportBuilder& builder) {
  std::string line;
  while (std::getline(in, line)) builder.add_line(line);
}

}  // namespace

int run_report(AdminContext& context, std::vector<std::string> files, const std::string& since, bool json) {
  const EpochSeconds now = std::time(nullptr);
  ReportOptions options;
  options.clock = LogClock{now, local_utc_offset(now)};
  options.keys = context.key_engine().settings().keys;
  if (!since.empty()) {
    // "7d" is a span back from now; anything else a moment (as explain --at takes it).
    const auto span = parse_duration(since);
    options.since = span ? std::optional(now - *span) : parse_when(since, now);
    if (!options.since) throw AdminError(fmt::format("--since {}: not a duration (7d) or a time", since));
  }
  if (files.empty()) {
    if (::isatty(STDIN_FILENO) != 1) {
      files.push_back("-");
    } else if (::access(kDefaultLog, R_OK) == 0) {
      files.push_back(kDefaultLog);
    } else {
      throw AdminError(fmt::format("no log to read: name the files, or pipe one in (journalctl -u grayling -o "
                                   "short-iso | grayling-admin report); {} is not readable",
                                   kDefaultLog));
    }
  }
  LogReportBuilder builder(options);
  for (const auto& file : files) {
    if (file == "-") {
      read_lines(std::cin, builder);
      continue;
    }
    std::ifstream in(file);
    if (!in) throw AdminError(fmt::format("cannot read {}: {}", file, std::strerror(errno)));
    read_lines(in, builder);
    if (in.bad()) throw AdminError(fmt::format("error reading {}", file));
  }
  const LogReport report = builder.finish();
  fmt::print("{}", json ? report_json(report) + "\n" : report_text(report));
  return 0;
}

}  // namespace grayling
