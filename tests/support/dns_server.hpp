#pragma once
/// A real DNS server for tests: Debian's unbound, started as an ordinary process on a
/// free loopback port, serving a test zone from local-data records and nothing else
/// (names outside it: NXDOMAIN). Stopped and removed with the object.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/daemon_process.hpp"
#include "support/temp_dir.hpp"

namespace grayling::test {

class DnsServer {
 public:
  /// The unbound server binary, or empty if it is not installed.
  [[nodiscard]] static std::string binary();
  /// True if $GRAYLING_DNS_REQUIRED is set (and not "0"): a test without unbound must fail.
  [[nodiscard]] static bool required();

  /// Serves `records`, each an RR in zone-file form ("a.test. 300 IN A 192.0.2.1"), for
  /// the zones `zones` (each "test." and the like, served as static: what is not in
  /// `records` does not exist). Throws std::runtime_error with unbound's log if it does
  /// not answer within 10 s.
  DnsServer(const std::vector<std::string>& zones, const std::vector<std::string>& records);
  ~DnsServer();
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  /// "127.0.0.1:PORT", as --dns-server takes it.
  [[nodiscard]] std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] std::string log() const { return process_ ? process_->log() : std::string(); }
  /// Stops answering (SIGSTOP: queries wait unanswered in its socket), as a resolver that
  /// is down or rate limited; resume() answers again (SIGCONT).
  void pause();
  void resume();

 private:
  TempDir dir_{"grayling-dns-"};
  std::uint16_t port_ = 0;
  std::unique_ptr<DaemonProcess> process_;
};

/// A DNS server that never answers: a UDP socket on a free loopback port that takes the
/// queries and says nothing (a resolver that times out).
class SilentDnsServer {
 public:
  SilentDnsServer();
  ~SilentDnsServer();
  SilentDnsServer(const SilentDnsServer&) = delete;
  SilentDnsServer& operator=(const SilentDnsServer&) = delete;
  [[nodiscard]] std::uint16_t port() const { return port_; }
  /// "127.0.0.1:PORT", as --dns-server takes it.
  [[nodiscard]] std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace grayling::test
