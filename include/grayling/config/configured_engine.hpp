#pragma once
/// The engine a Config describes, with its whitelists read from their files: what the
/// daemon decides with, and what grayling-admin explains with. One reading, so the tool
/// cannot explain a decision with whitelists the daemon would not have.

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "grayling/config/config.hpp"
#include "grayling/core/policy_engine.hpp"

namespace grayling {

/// A whitelist file that must be read could not be; the message names each one.
class WhitelistError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An engine with freshly read whitelists. Bad lines go to `warn` and are skipped. A file
/// that cannot be read is an error (WhitelistError) when it was named explicitly, exists
/// but is unreadable, or is in `must_read` (the files the running engine was built from);
/// only a missing default file is a warning.
[[nodiscard]] std::shared_ptr<const PolicyEngine> configured_engine(
    const Config& config, const std::function<void(const std::string&)>& warn,
    const std::vector<std::string>& must_read = {});

}  // namespace grayling
