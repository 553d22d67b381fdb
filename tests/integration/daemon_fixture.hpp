#pragma once
/// The fixture shared by the integration tests: a temporary directory per test, daemons
/// started from the binary this build produced, and clients connected to them. On a
/// failure, every daemon log of the test is printed.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/daemon_process.hpp"
#include "support/free_port.hpp"
#include "support/held_socket.hpp"
#include "support/policy_client.hpp"
#include "support/run_program.hpp"
#include "support/temp_dir.hpp"

namespace grayling::test {

/// The grayling binary under test: $GRAYLING_TEST_BINARY if set, else the one CMake built.
const char* grayling_binary();

/// The grayling-admin binary under test: $GRAYLING_TEST_ADMIN_BINARY, else this build's.
const char* grayling_admin_binary();

/// The default greylist reply for a recipient in `domain`, exactly as sent.
std::string greylist_reply(const std::string& domain, bool etrn = false);
inline constexpr const char* kDunnoReply = "action=DUNNO\n\n";
/// The host name the fixture's daemons put in their X-Greylist header.
inline constexpr const char* kHostname = "grayling-test.example";

/// True if `reply` is the first pass of a message after greylisting, exactly as sent:
/// "action=PREPEND X-Greylist: delayed <delay> seconds by grayling-<version> at <kHostname>;
/// <RFC 2822 date>\n\n". A negative `delay` accepts any number of seconds.
::testing::AssertionResult IsFirstPass(const std::optional<std::string>& reply, int delay = -1);

/// Sleeps until `offset` past the start of the next wall-clock second. The daemon counts
/// time in whole seconds; starting just after a tick makes "N seconds later" exact.
void align_to_second(std::chrono::milliseconds offset = 50ms);

/// Sleeps until `after` past `start` on the wall clock.
void sleep_until(std::chrono::system_clock::time_point start, std::chrono::milliseconds after);

class DaemonTest : public ::testing::Test {
 protected:
  void TearDown() override;

  /// The database directory used by default (same for every daemon of one test).
  [[nodiscard]] std::string dbdir() const { return dir_.file("db"); }

  /// What every start()/start_tcp() daemon gets: --dbdir=dbdir(), empty whitelists (no
  /// dependence on the machine's /etc) and a fixed --hostname.
  std::vector<std::string> base_args();

  /// Options every daemon and grayling-admin of this test gets after base_args()' own: a
  /// variant of a test (SPF equivalence on, with a DNS server of its own).
  void add_base_args(const std::vector<std::string>& options) {
    extra_base_args_.insert(extra_base_args_.end(), options.begin(), options.end());
  }

  /// Lets a daemon that drops root to another user (--user=nobody) reach the database
  /// directory in dir_ and read the whitelist files of base_args().
  void open_to_other_users();

  /// Starts a daemon with exactly `args` (and `env`, "NAME=VALUE" entries added to the
  /// environment) and returns it without waiting for anything.
  std::unique_ptr<DaemonProcess> spawn(const std::vector<std::string>& args, const std::vector<std::string>& env = {});

  /// Starts a daemon with exactly `args` as systemd starts a socket-activated one, serving
  /// `sockets` (held by the test, as systemd holds a socket unit's), without waiting.
  std::unique_ptr<DaemonProcess> spawn_with_sockets(const std::vector<std::string>& args,
                                                    const std::vector<const HeldSocket*>& sockets,
                                                    const std::vector<std::string>& env = {});

  /// A new log file for a daemon, printed with the others if the test fails.
  std::string next_log();

  /// Starts a daemon on 127.0.0.1:port() (a free port, picked on first use) with
  /// base_args() and `extra`, and waits for "ready". If another process took the
  /// port in the meantime, picks a new one and retries. Throws if it never gets ready.
  std::unique_ptr<DaemonProcess> start_tcp(const std::vector<std::string>& extra = {});

  /// Starts a daemon with base_args() and `args` and waits for "ready"; throws if not.
  std::unique_ptr<DaemonProcess> start(const std::vector<std::string>& args);

  /// The TCP port of start_tcp() daemons.
  std::uint16_t port();

  /// grayling-admin with the daemons' base_args() (store, whitelists), then `options`
  /// (the daemon's other settings, as its config file would give them), then `args`.
  ProgramRun run_admin(const std::vector<std::string>& args, const std::vector<std::string>& options = {});

  /// A client connected to 127.0.0.1:port() (or `host`). Throws if it cannot connect.
  PolicyClient connect(const std::string& host = "127.0.0.1");
  PolicyClient connect_unix(const std::string& path);

  TempDir dir_{"grayling-it-"};

 private:
  std::uint16_t port_ = 0;
  std::vector<std::string> logs_;
  std::vector<std::string> extra_base_args_;
};

}  // namespace grayling::test
