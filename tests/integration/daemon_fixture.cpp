#include "daemon_fixture.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace grayling::test {

const char* grayling_binary() {
  // Another build of the daemon (a sanitizer build, an installed one) can be tested with
  // the same suite by naming it in $GRAYLING_TEST_BINARY.
  if (const char* other = std::getenv("GRAYLING_TEST_BINARY"); other != nullptr && *other != '\0') return other;
  return GRAYLING_BINARY;
}

const char* grayling_admin_binary() {
  if (const char* other = std::getenv("GRAYLING_TEST_ADMIN_BINARY"); other != nullptr && *other != '\0') return other;
  return GRAYLING_ADMIN_BINARY;
}

std::string greylist_reply(const std::string& domain, bool etrn) {
  return std::string("action=DEFER_IF_PERMIT ") + (etrn ? "4.2.0 " : "") +
         "Greylisted, see http://postgrey.schweikert.ch/help/" + domain + ".html\n\n";
}

::testing::AssertionResult IsFirstPass(const std::optional<std::string>& reply, int delay) {
  if (!reply) return ::testing::AssertionFailure() << "no reply";
  const std::string seconds = delay < 0 ? "[0-9]+" : std::to_string(delay);
  const std::regex pattern("action=PREPEND X-Greylist: delayed " + seconds + " seconds by grayling-[0-9.]+ at " +
                           std::regex_replace(kHostname, std::regex("\\."), "\\.") +
                           "; [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [^\n]+\n\n");
  if (std::regex_match(*reply, pattern)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "not a first-pass reply (delay " << seconds << "): \"" << *reply << "\"";
}

void align_to_second(std::chrono::milliseconds offset) {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto next = time_point_cast<seconds>(now) + 1s;
  std::this_thread::sleep_until(next + offset);
}

void sleep_until(std::chrono::system_clock::time_point start, std::chrono::milliseconds after) {
  std::this_thread::sleep_until(start + after);
}

void DaemonTest::TearDown() {
  if (!HasFailure()) return;
  constexpr std::size_t kTail = 12000;
  for (const auto& path : logs_) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    std::string log = text.str();
    if (log.size() > kTail) log = "[...]\n" + log.substr(log.size() - kTail);
    std::cerr << "---- daemon log " << path << " ----\n" << log << "---- end of log ----\n";
  }
}

std::string DaemonTest::next_log() {
  const std::string log = dir_.file("daemon-" + std::to_string(logs_.size() + 1) + ".log");
  logs_.push_back(log);
  return log;
}

std::unique_ptr<DaemonProcess> DaemonTest::spawn(const std::vector<std::string>& args,
                                                 const std::vector<std::string>& env) {
  return std::make_unique<DaemonProcess>(grayling_binary(), args, next_log(), env);
}

std::unique_ptr<DaemonProcess> DaemonTest::spawn_with_sockets(const std::vector<std::string>& args,
                                                              const std::vector<const HeldSocket*>& sockets,
                                                              const std::vector<std::string>& env) {
  return start_with_sockets(grayling_binary(), args, next_log(), sockets, env);
}

ProgramRun DaemonTest::run_admin(const std::vector<std::string>& args, const std::vector<std::string>& options) {
  std::vector<std::string> all{grayling_admin_binary()};
  for (const auto& option : base_args()) all.push_back(option);
  all.insert(all.end(), options.begin(), options.end());
  all.insert(all.end(), args.begin(), args.end());
  return run_program(all);
}

std::vector<std::string> DaemonTest::base_args() {
  const std::string empty = dir_.file("empty-whitelist");
  if (!std::filesystem::exists(empty)) std::ofstream(empty).close();
  // No SPF: a test's answers must not depend on the machine's resolver (SPF tests turn it
  // on, with a DNS server of their own).
  std::vector<std::string> args{"--dbdir=" + dbdir(), "--whitelist-clients=" + empty,
                                "--whitelist-recipients=" + empty, std::string("--hostname=") + kHostname,
                                "--spf-equivalence=off"};
  args.insert(args.end(), extra_base_args_.begin(), extra_base_args_.end());
  return args;
}

void DaemonTest::open_to_other_users() {
  namespace fs = std::filesystem;
  base_args();  // creates the empty whitelist file
  // Passable, not readable: other users reach the files they are given, list nothing.
  fs::permissions(dir_.path(), fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  fs::permissions(dir_.file("empty-whitelist"),
                  fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
}

std::unique_ptr<DaemonProcess> DaemonTest::start(const std::vector<std::string>& args) {
  std::vector<std::string> all = base_args();
  all.insert(all.end(), args.begin(), args.end());
  auto daemon = spawn(all);
  if (!daemon->wait_ready(10s)) {
    throw std::runtime_error("daemon did not get ready (" +
                             (daemon->exit_status() ? daemon->exit_status()->describe() : "still running") +
                             "); log:\n" + daemon->log());
  }
  return daemon;
}

std::uint16_t DaemonTest::port() {
  if (port_ == 0) port_ = free_tcp_port();
  return port_;
}

std::unique_ptr<DaemonProcess> DaemonTest::start_tcp(const std::vector<std::string>& extra) {
  for (int attempt = 1;; ++attempt) {
    std::vector<std::string> args = base_args();
    args.push_back("--inet=127.0.0.1:" + std::to_string(port()));
    args.insert(args.end(), extra.begin(), extra.end());
    auto daemon = spawn(args);
    if (daemon->wait_ready(10s)) return daemon;
    const std::string log = daemon->log();
    if (attempt < 5 && log.find("Address already in use") != std::string::npos) {
      port_ = free_tcp_port();  // lost a race for the port with another process
      continue;
    }
    throw std::runtime_error("daemon did not get ready (" +
                             (daemon->exit_status() ? daemon->exit_status()->describe() : "still running") +
                             "); log:\n" + log);
  }
}

PolicyClient DaemonTest::connect(const std::string& host) {
  std::string error;
  auto client = PolicyClient::connect_tcp(host, port(), 5s, &error);
  if (!client) throw std::runtime_error("cannot connect to " + host + ":" + std::to_string(port()) + ": " + error);
  return std::move(*client);
}

PolicyClient DaemonTest::connect_unix(const std::string& path) {
  std::string error;
  auto client = PolicyClient::connect_unix(path, 5s, &error);
  if (!client) throw std::runtime_error("cannot connect to unix:" + path + ": " + error);
  return std::move(*client);
}

}  // namespace grayling::test
