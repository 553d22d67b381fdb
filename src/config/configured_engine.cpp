#include "grayling/config/configured_engine.hpp"

#include <algorithm>

namespace grayling {

std::shared_ptr<const PolicyEngine> configured_engine(const Config& config,
                                                      const std::function<void(const std::string&)>& warn,
                                                      const std::vector<std::string>& must_read) {
  std::vector<WhitelistIssue> issues;
  Whitelists whitelists =
      load_whitelists(config.whitelist_clients.paths, config.whitelist_recipients.paths, issues);
  auto named = [&](const std::string& file) {
    for (const auto* files : {&config.whitelist_clients, &config.whitelist_recipients}) {
      if (files->named && std::find(files->paths.begin(), files->paths.end(), file) != files->paths.end()) return true;
    }
    return std::find(must_read.begin(), must_read.end(), file) != must_read.end();
  };
  std::vector<std::string> fatal;
  for (const auto& issue : issues) {
    if (issue.unreadable && (!issue.missing || named(issue.file))) {
      fatal.push_back(issue.describe());
    } else {
      warn("whitelist " + issue.describe());
    }
  }
  if (!fatal.empty()) {
    std::string message = "cannot read whitelist ";
    for (std::size_t i = 0; i < fatal.size(); ++i) message += (i ? "; " : "") + fatal[i];
    throw WhitelistError(message);
  }
  return std::make_shared<const PolicyEngine>(config.engine, std::move(whitelists));
}

}  // namespace grayling
