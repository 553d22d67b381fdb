#pragma once
/// What every grayling-admin subcommand works with: the daemon's configuration, the
/// engine it describes, and the store it names, opened as a tool beside the daemon.

#include <fmt/format.h>

#include <memory>
#include <optional>
#include <string>

#include "grayling/config/config.hpp"
#include "grayling/core/policy_engine.hpp"
#include "grayling/store/store.hpp"
#include "grayling/store/store_factory.hpp"
#include "store_owner.hpp"

namespace grayling {

/// A failure the administrator caused (an unknown row, a malformed address): exit 1 with
/// the message, nothing changed.
class AdminError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class AdminContext {
 public:
  explicit AdminContext(Config config) : config_(std::move(config)), key_engine_(config_.engine) {}

  [[nodiscard]] const Config& config() const { return config_; }
  /// The engine as the daemon builds it, whitelists and all (read on first use; warnings
  /// about them go to stderr): for explaining decisions.
  [[nodiscard]] const PolicyEngine& engine();
  /// The engine without its whitelists: enough to build keys and judge rows, and no
  /// warnings about whitelist files a command does not read.
  [[nodiscard]] const PolicyEngine& key_engine() const { return key_engine_; }

  /// Runs `body(store, name)` with the daemon's store open as a tool (no instance lock,
  /// no repair): for SQLite as root, as the database's owner. `create`: make the store if
  /// there is none (to write into it); otherwise its absence is an error.
  template <typename Body>
  void with_store(bool create, Body&& body) const {
    const StoreUri uri = config_.store.store_uri();
    std::optional<ActingAsOwner> owner;
    if (const auto directory = uri.directory()) owner.emplace(*directory);
    StoreOptions options;
    options.sync = config_.store.sync;
    options.report = report;
    options.access = StoreAccess{.owner = false, .create = create};
    auto store = open_store(uri, options);
    body(*store, uri.describe());
  }

  /// After a change is committed: waits (1 s) until every running daemon has heard of it
  /// (they ask every kChangePollInterval), so none passes a deleted triplet from its cache
  /// once this tool has returned.
  static void let_daemons_hear();

  /// Where a store's own reports go: stderr, as "grayling-admin: warning: ...".
  static void report(Severity severity, const std::string& message);

 private:
  Config config_;
  PolicyEngine key_engine_;
  std::shared_ptr<const PolicyEngine> engine_;
};

}  // namespace grayling
