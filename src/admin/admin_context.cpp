#include "admin_context.hpp"

#include <chrono>
#include <cstdio>
#include <thread>

#include "grayling/config/configured_engine.hpp"

namespace grayling {

const PolicyEngine& AdminContext::engine() {
  if (!engine_) {
    engine_ = configured_engine(config_, [](const std::string& warning) {
      fmt::print(stderr, "grayling-admin: warning: {}\n", warning);
    });
  }
  return *engine_;
}

void AdminContext::let_daemons_hear() {
  // Twenty polls' worth: one to be asked, the rest for a busy daemon, whose store thread
  // asks only between batches (a PostgreSQL daemon under load hears a notification only
  // between two of its transactions), and whose I/O thread then drops its cache in turn.
  // Four polls were measured too short on a loaded 2-core machine.
  std::this_thread::sleep_for(20 * kChangePollInterval);
}

void AdminContext::report(Severity severity, const std::string& message) {
  const char* level = severity == Severity::warning ? "warning" : "error";
  fmt::print(stderr, "grayling-admin: {}: {}\n", level, message);
}

}  // namespace grayling
