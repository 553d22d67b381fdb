#include "daemon_fixture.hpp"

#include <cstdlib>
#include <fstream>
#include <iostream>
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

std::string greylist_reply(const std::string& domain, bool etrn) {
  return std::string("action=DEFER_IF_PERMIT ") + (etrn ? "4.2.0 " : "") +
         "Greylisted, see http://postgrey.schweikert.ch/help/" + domain + ".html\n\n";
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

std::unique_ptr<DaemonProcess> DaemonTest::spawn(const std::vector<std::string>& args) {
  const std::string log = dir_.file("daemon-" + std::to_string(logs_.size() + 1) + ".log");
  logs_.push_back(log);
  return std::make_unique<DaemonProcess>(grayling_binary(), args, log);
}

std::unique_ptr<DaemonProcess> DaemonTest::start(const std::vector<std::string>& args) {
  std::vector<std::string> all{"--dbdir=" + dbdir()};
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
    std::vector<std::string> args{"--dbdir=" + dbdir(), "--inet=127.0.0.1:" + std::to_string(port())};
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
