#include "support/dns_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "support/free_port.hpp"

namespace grayling::test {

namespace {

/// Whether something answers a DNS query for "ready.invalid." on 127.0.0.1:port (any
/// answer will do: NXDOMAIN says the server is up).
bool answers(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  timeval timeout{0, 200'000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // id 0x4242, RD, one question: ready.invalid. A IN
  const unsigned char query[] = {0x42, 0x42, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,  5,   'r', 'e', 'a', 'd',
                                 'y',  7,    'i',  'n',  'v', 'a', 'l', 'i', 'd', 0, 0, 1, 0,   1};
  ::sendto(fd, query, sizeof query, 0, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  unsigned char reply[512];
  const ssize_t got = ::recv(fd, reply, sizeof reply, 0);
  ::close(fd);
  return got >= 12 && reply[0] == 0x42 && reply[1] == 0x42;
}

}  // namespace

std::string DnsServer::binary() {
  for (const char* candidate : {"/usr/sbin/unbound", "/usr/local/sbin/unbound"}) {
    if (::access(candidate, X_OK) == 0) return candidate;
  }
  return {};
}

bool DnsServer::required() {
  const char* value = std::getenv("GRAYLING_DNS_REQUIRED");
  return value && *value && std::string(value) != "0";
}

DnsServer::DnsServer(const std::vector<std::string>& zones, const std::vector<std::string>& records) {
  const std::string program = binary();
  if (program.empty()) throw std::runtime_error("unbound is not installed (package unbound)");
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_tcp_port();
    std::ofstream config(dir_.file("unbound.conf"));
    config << "server:\n"
           << "  interface: 127.0.0.1\n  port: " << port_ << "\n"
           << "  do-daemonize: no\n  chroot: \"\"\n  username: \"\"\n  directory: \"" << dir_.path().string() << "\"\n"
           << "  pidfile: \"\"\n  use-syslog: no\n  logfile: \"\"\n  verbosity: 1\n  do-ip6: no\n"
           << "  access-control: 127.0.0.0/8 allow\n  module-config: \"iterator\"\n"
           << "  num-threads: 1\n  outgoing-range: 64\n  so-reuseport: no\n"
           << "  auto-trust-anchor-file: \"\"\n  trust-anchor-file: \"\"\n"
           << "  do-not-query-localhost: yes\n";
    for (const auto& zone : zones) config << "  local-zone: \"" << zone << "\" static\n";
    for (const auto& record : records) config << "  local-data: '" << record << "'\n";
    config << "remote-control:\n  control-enable: no\n";
    config.close();
    process_ = std::make_unique<DaemonProcess>(program, std::vector<std::string>{"-d", "-c", dir_.file("unbound.conf")},
                                               dir_.file("unbound.log"));
    for (int i = 0; i < 100; ++i) {
      if (answers(port_)) return;
      if (!process_->running()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const std::string failed = process_->log();
    process_.reset();
    if (failed.find("address already in use") == std::string::npos) {
      throw std::runtime_error("unbound did not start; its log:\n" + failed);
    }
  }
  throw std::runtime_error("unbound found no free port");
}

DnsServer::~DnsServer() = default;  // SIGKILL: stopped or not

void DnsServer::pause() { process_->send_signal(SIGSTOP); }
void DnsServer::resume() { process_->send_signal(SIGCONT); }

SilentDnsServer::SilentDnsServer() {
  fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("cannot make a UDP socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    ::close(fd_);
    throw std::runtime_error("cannot bind a UDP socket on loopback");
  }
  port_ = ntohs(address.sin_port);
}

SilentDnsServer::~SilentDnsServer() { ::close(fd_); }

}  // namespace grayling::test
