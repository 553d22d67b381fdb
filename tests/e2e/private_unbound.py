"""A private DNS server for end-to-end tests: Debian's unbound, as an ordinary process on a
free loopback port, serving test records (local-data) and nothing else. Standard library
only. The C++ tests have the same in tests/support/dns_server.cpp."""

import os
import shutil
import socket
import subprocess
import time


def unbound_binary():
    for candidate in ("/usr/sbin/unbound", "/usr/local/sbin/unbound"):
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("unbound")


def _answers(port):
    """Whether something answers a DNS query on 127.0.0.1:port (NXDOMAIN will do)."""
    query = bytes([0x42, 0x42, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5]) + b"ready" + bytes([7]) + b"invalid" + \
        bytes([0, 0, 1, 0, 1])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        try:
            s.sendto(query, ("127.0.0.1", port))
            reply = s.recv(512)
        except OSError:
            return False
    return len(reply) >= 12 and reply[:2] == b"\x42\x42"


class PrivateUnbound:
    """unbound serving `records` (zone-file lines) for the static zones `zones`."""

    def __init__(self, workdir, zones, records):
        self.dir = os.path.join(workdir, "unbound")
        os.makedirs(self.dir, exist_ok=True)
        self.zones = zones
        self.records = records
        self.proc = None
        self.port = None

    def start(self, free_port):
        binary = unbound_binary()
        if binary is None:
            raise RuntimeError("unbound is not installed (apt-get install unbound)")
        for _ in range(3):
            self.port = free_port()
            conf = os.path.join(self.dir, "unbound.conf")
            with open(conf, "w") as f:
                f.write("server:\n"
                        f"  interface: 127.0.0.1\n  port: {self.port}\n"
                        '  do-daemonize: no\n  chroot: ""\n  username: ""\n'
                        f'  directory: "{self.dir}"\n  pidfile: ""\n  use-syslog: no\n  logfile: ""\n'
                        "  do-ip6: no\n  access-control: 127.0.0.0/8 allow\n"
                        '  module-config: "iterator"\n  num-threads: 1\n  so-reuseport: no\n')
                for zone in self.zones:
                    f.write(f'  local-zone: "{zone}" static\n')
                for record in self.records:
                    f.write(f"  local-data: '{record}'\n")
                f.write("remote-control:\n  control-enable: no\n")
            log = open(os.path.join(self.dir, "unbound.log"), "w")
            self.proc = subprocess.Popen([binary, "-d", "-c", conf], stdout=log, stderr=subprocess.STDOUT)
            for _ in range(100):
                if _answers(self.port):
                    return
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
            self.stop()
        raise RuntimeError("unbound did not start: " + self.log_text()[-2000:])

    def log_text(self):
        try:
            with open(os.path.join(self.dir, "unbound.log")) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
