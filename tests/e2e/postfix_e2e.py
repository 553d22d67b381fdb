#!/usr/bin/env python3
"""End-to-end test: grayling behind a real (private) Postfix, driven over SMTP.

    postfix_e2e.py --grayling PATH --transport tcp|unix [--delay N] [--keep]

Starts grayling (TCP on 127.0.0.1 or a unix socket) and a private Postfix instance (see
private_postfix.py) whose smtpd asks grayling at RCPT time, then plays SMTP conversations
with XCLIENT to present various clients:

  1. new triplet                        -> 450 4.2.0 Greylisted
  2. early retry (1 s later)            -> 450 again
  3. retry after the delay              -> 250 for RCPT, the message is accepted and discarded
  4. another /24, same sender/recipient -> 450
  5. same /24, another host             -> 250
  6. IPv6: the same for /64 networks
  7. grayling stopped                   -> 451 (Postfix's default for an unreachable service)

and checks grayling's decision log and Postfix's maillog for each. Standard library only.
Exit status: 0 pass, 1 fail, 77 skipped (no Postfix, not root); with GRAYLING_E2E_REQUIRED=1
a missing prerequisite is a failure instead. GRAYLING_E2E_KEEP=1 (or --keep) keeps the
temporary directory.
"""

import argparse
import os
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
import traceback

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from private_postfix import PostfixError, PrivatePostfix, find_postfix_command  # noqa: E402

SKIP = 77
SENDER = "alice@example.net"
RECIPIENT = "bob@example.org"
# Whole-run budget, below the ctest TIMEOUT so that the cleanup always gets to run.
OVERALL_BUDGET_S = 100

_t0 = time.monotonic()


def log(message):
    print(f"[{time.monotonic() - _t0:6.2f}s] {message}", flush=True)


class TestFailure(AssertionError):
    pass


def check(condition, message):
    if not condition:
        raise TestFailure(message)


def free_port():
    """A TCP port that was free a moment ago (bind to port 0; the kernel picks)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(text, lines=60):
    return "\n".join(text.splitlines()[-lines:])


# --- grayling -------------------------------------------------------------------------------

class Grayling:
    """The daemon under test, in the foreground, its stderr in a log file."""

    def __init__(self, binary, workdir, transport, delay):
        self.binary = binary
        self.workdir = workdir
        self.transport = transport
        self.delay = delay
        self.dbdir = os.path.join(workdir, "grayling-db")
        self.logfile = os.path.join(workdir, "grayling.log")
        self.socket_path = os.path.join(workdir, "grayling.sock")
        self.empty_file = os.path.join(workdir, "empty-whitelist")
        self.proc = None
        self.endpoint = None  # Postfix's name for it: inet:127.0.0.1:PORT or unix:/path

    def start(self, timeout=15):
        os.makedirs(self.dbdir, exist_ok=True)
        open(self.empty_file, "w").close()
        for attempt in range(3):
            # Empty whitelists: the installed defaults (/etc/grayling/...) must not matter.
            args = [self.binary, f"--dbdir={self.dbdir}", f"--delay={self.delay}",
                    f"--whitelist-clients={self.empty_file}",
                    f"--whitelist-recipients={self.empty_file}"]
            if self.transport == "tcp":
                port = free_port()
                args.append(f"--inet=127.0.0.1:{port}")
                endpoint = f"inet:127.0.0.1:{port}"
            else:
                # smtpd runs as mail_owner: the socket must be world-writable.
                args += [f"--unix={self.socket_path}", "--socketmode=0666"]
                endpoint = f"unix:{self.socket_path}"
            log(f"starting grayling: {' '.join(args[1:])}")
            log_start = len(self.log_text())
            with open(self.logfile, "ab") as out:
                self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out,
                                             stderr=subprocess.STDOUT)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if " ready: " in self.log_text()[log_start:] and self._listening():
                    self.endpoint = endpoint
                    return
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
            if self.proc.poll() is None:
                self.stop()
                raise TestFailure(f"grayling did not log 'ready' within {timeout}s")
            text = self.log_text()[log_start:].lower()
            if self.transport == "tcp" and "in use" in text and attempt < 2:
                log("grayling's port was taken meanwhile; retrying with another one")
                continue
            raise TestFailure(f"grayling exited during startup (exit {self.proc.returncode})")
        raise TestFailure("grayling could not be started")

    def _listening(self):
        if self.transport == "unix":
            return os.path.exists(self.socket_path)
        return True  # "ready" is logged after the listeners are bound

    def stop(self, timeout=15):
        """SIGTERM, then SIGKILL after timeout. Returns the exit status (None if never run)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log(f"grayling ignored SIGTERM for {timeout}s; killing it")
                self.proc.kill()
                self.proc.wait(10)
                return "killed"
        return self.proc.returncode

    def log_text(self):
        try:
            with open(self.logfile, "r", errors="replace") as f:
                return f.read()
        except OSError:
            return ""


# --- SMTP -----------------------------------------------------------------------------------

class SmtpResult:
    def __init__(self, rcpt_code, rcpt_text, data_code=None, data_text=""):
        self.rcpt_code = rcpt_code
        self.rcpt_text = rcpt_text
        self.data_code = data_code
        self.data_text = data_text

    def __str__(self):
        s = f"RCPT {self.rcpt_code} {self.rcpt_text}"
        if self.data_code is not None:
            s += f"; end of DATA {self.data_code} {self.data_text}"
        return s


def smtp_conversation(port, client_addr, client_name, sender=SENDER, recipient=RECIPIENT):
    """One SMTP session presenting client_addr/client_name via XCLIENT. If RCPT is accepted,
    sends a message too. Returns the RCPT reply (and the end-of-DATA reply, if any)."""
    xaddr = f"IPV6:{client_addr}" if ":" in client_addr else client_addr
    with smtplib.SMTP("127.0.0.1", port, local_hostname="client.grayling-e2e.test",
                      timeout=30) as smtp:
        code, text = smtp.ehlo()
        check(code == 250, f"EHLO: {code} {text!r}")
        check(smtp.has_extn("xclient"), "smtpd does not offer XCLIENT")
        code, text = smtp.docmd("XCLIENT", f"ADDR={xaddr} NAME={client_name}")
        check(code == 220, f"XCLIENT: {code} {text!r}" + (
            " (is IPv6 disabled in this kernel?)" if ":" in client_addr else ""))
        # XCLIENT resets the session to the greeting; a new EHLO is required.
        code, text = smtp.ehlo()
        check(code == 250, f"EHLO after XCLIENT: {code} {text!r}")
        code, text = smtp.mail(sender)
        check(code == 250, f"MAIL FROM: {code} {text!r}")
        rcpt_code, rcpt_text = smtp.rcpt(recipient)
        result = SmtpResult(rcpt_code, rcpt_text.decode(errors="replace"))
        if rcpt_code == 250:
            message = (f"From: <{sender}>\r\nTo: <{recipient}>\r\n"
                       f"Subject: grayling end-to-end test\r\n\r\nHello from {client_addr}.\r\n")
            data_code, data_text = smtp.data(message.encode())
            result.data_code = data_code
            result.data_text = data_text.decode(errors="replace")
        else:
            smtp.rset()
        smtp.quit()
    return result


# --- the test -------------------------------------------------------------------------------

class E2E:
    def __init__(self, grayling, postfix):
        self.grayling = grayling
        self.postfix = postfix
        self.grayling_offset = 0  # where the previous step's grayling log lines ended

    def wait_for(self, what, source, pattern, timeout=10):
        """Polls source() until the regex matches; returns the match."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, source(), re.MULTILINE)
            if m:
                return m
            if time.monotonic() >= deadline:
                raise TestFailure(f"{what}: no line matching {pattern!r} within {timeout}s")
            time.sleep(0.05)

    def expect_grayling(self, action, reason, client_addr):
        """The decision line for this step: searched only after the previous step's line, so
        every step must have produced its own decision."""
        prefix = 32 if ":" not in client_addr else 128
        pattern = (rf"action={action}, reason={reason}.*, client_address={re.escape(client_addr)}"
                   rf"/{prefix}, sender={re.escape(SENDER)}, recipient={re.escape(RECIPIENT)}$")
        source = lambda: self.grayling.log_text()[self.grayling_offset:]  # noqa: E731
        m = self.wait_for("grayling's log", source, pattern)
        self.grayling_offset += m.end()
        return m.group(0)

    def expect_postfix_reject(self, client_addr, client_name, code, enhanced, text):
        pattern = (rf"NOQUEUE: reject: RCPT from {re.escape(client_name)}"
                   rf"\[{re.escape(client_addr)}\]: {code} {re.escape(enhanced)} "
                   rf"<{re.escape(RECIPIENT)}>: Recipient address rejected: {text}")
        return self.wait_for("Postfix's maillog", self.postfix.log_text, pattern).group(0)

    def greylisted(self, step, client_addr, client_name, reason):
        r = smtp_conversation(self.postfix.smtpd_port, client_addr, client_name)
        log(f"{step}: {client_addr}: {r}")
        check(r.rcpt_code == 450, f"{step}: expected RCPT 450, got {r}")
        check(r.rcpt_text.startswith("4.2.0 ") and "Greylisted" in r.rcpt_text,
              f"{step}: expected '4.2.0 ... Greylisted', got {r}")
        check("http://postgrey.schweikert.ch/help/example.org.html" in r.rcpt_text,
              f"{step}: the greylist text lacks the recipient domain: {r}")
        line = self.expect_grayling("greylist", reason, client_addr)
        log(f"{step}: grayling: {line.split(', client_name=')[0]}")
        self.expect_postfix_reject(client_addr, client_name, 450, "4.2.0",
                                   r"Greylisted, see http://postgrey\.schweikert\.ch/help/"
                                   r"example\.org\.html;")
        return r

    def passed(self, step, client_addr, client_name, waited_at_least=None):
        """RCPT accepted and the message too. waited_at_least: this is the triplet's first
        pass, which grayling (like postgrey) logs with "delay=<seconds since first seen>";
        later passes of a passed triplet are logged without it."""
        r = smtp_conversation(self.postfix.smtpd_port, client_addr, client_name)
        log(f"{step}: {client_addr}: {r}")
        check(r.rcpt_code == 250, f"{step}: expected RCPT 250, got {r}")
        check(r.data_code == 250, f"{step}: expected the message to be accepted, got {r}")
        if waited_at_least is None:
            line = self.expect_grayling("pass", "triplet found", client_addr)
            check(", delay=" not in line, f"{step}: not the triplet's first pass: {line}")
        else:
            line = self.expect_grayling("pass", r"triplet found, delay=\d+", client_addr)
            waited = int(re.search(r", delay=(\d+)", line).group(1))
            check(waited >= waited_at_least,
                  f"{step}: passed after {waited}s, before the delay of {waited_at_least}s")
        log(f"{step}: grayling: {line.split(', client_name=')[0]}")
        m = re.search(r"queued as ([0-9A-Za-z]+)", r.data_text)
        check(m, f"{step}: no queue id in the DATA reply: {r}")
        queue_id = m.group(1)
        # Delivered to the discard transport: proof that Postfix took the message all the way.
        self.wait_for("Postfix's maillog", self.postfix.log_text,
                      rf"{queue_id}: to=<{re.escape(RECIPIENT)}>, relay=none, .*status=sent")
        # The first pass PREPENDs an X-Greylist header (logged by the instance's
        # header_checks, before the message is queued, so before the delivery line).
        header = re.search(rf"{queue_id}: info: header X-Greylist: delayed (\d+) seconds by "
                           r"grayling-", self.postfix.log_text())
        if waited_at_least is None:
            check(header is None, f"{step}: X-Greylist header on a later pass: {header}")
        else:
            check(header, f"{step}: no X-Greylist header on the first pass")
            check(int(header.group(1)) == waited,
                  f"{step}: X-Greylist says {header.group(1)}s, grayling logged {waited}s")
        return r

    def run(self, delay):
        v4, v4_same_net, v4_other_net = "192.0.2.7", "192.0.2.200", "192.0.3.7"  # /24s
        v6, v6_same_net, v6_other_net = "2001:db8:1:2::5", "2001:db8:1:2::99", "2001:db8:1:3::5"

        # New triplets, IPv4 and IPv6, and their early retries. grayling, like postgrey,
        # calls a retry within the same second as the first attempt "new" (its clock has
        # whole seconds), so each retry comes a little over a second after its first attempt,
        # and well before the delay. (started, answered): when the first attempt was made.
        first = {}
        for step, addr, name in (("1 new triplet (IPv4)", v4, "mail.example.net"),
                                 ("6 new triplet (IPv6)", v6, "mail6.example.net")):
            started = time.monotonic()
            self.greylisted(step, addr, name, "new")
            first[addr] = (started, time.monotonic())
        for step, addr, name in (("2 early retry (IPv4)", v4, "mail.example.net"),
                                 ("6 early retry (IPv6)", v6, "mail6.example.net")):
            started, answered = first[addr]
            time.sleep(max(0.0, answered + 1.1 - time.monotonic()))
            # Whole-second clocks: grayling may count up to a second more than elapsed; and
            # allow half a second for the retry itself.
            check(time.monotonic() - started + 1.5 < delay,
                  f"{step}: this machine is too slow for --delay={delay}: the retry would not "
                  "be early, so the test would be inconclusive")
            self.greylisted(step, addr, name, r"early-retry \(\d+s missing\)")

        # After the delay, with a margin for whole-second clocks.
        wait = max(answered for _, answered in first.values()) + delay + 1.2 - time.monotonic()
        log(f"waiting {wait:.1f}s for the greylist delay to pass")
        time.sleep(max(0.0, wait))
        self.passed("3 retry after the delay (IPv4)", v4, "mail.example.net", delay)
        self.passed("5 same /24, other host", v4_same_net, "other.example.net")
        self.greylisted("4 other /24, same sender and recipient", v4_other_net,
                        "elsewhere.example.net", "new")
        self.passed("6 retry after the delay (IPv6)", v6, "mail6.example.net", delay)
        self.passed("6 same /64, other host", v6_same_net, "other6.example.net")
        self.greylisted("6 other /64, same sender and recipient", v6_other_net,
                        "elsewhere6.example.net", "new")

        # Nothing went wrong on the way: a malformed policy reply, for one, would be a
        # Postfix warning ("problem talking to server") even if the SMTP replies looked right.
        trouble = re.findall(r"^.*\b(?:warning|error|fatal|panic): .*$", self.postfix.log_text(),
                             re.MULTILINE)
        check(not trouble, "Postfix logged trouble:\n" + "\n".join(trouble))
        trouble = re.findall(r"^.* (?:error|critical): .*$", self.grayling.log_text(),
                             re.MULTILINE)
        check(not trouble, "grayling logged errors:\n" + "\n".join(trouble))

        # A stopped grayling is a temporary failure at Postfix, never an acceptance.
        status = self.grayling.stop()
        log(f"grayling stopped, exit status {status}")
        check(status == 0, f"grayling did not exit cleanly on SIGTERM: {status}")
        r = smtp_conversation(self.postfix.smtpd_port, "192.0.2.55", "late.example.net")
        log(f"7 grayling stopped: {r}")
        check(r.rcpt_code == 451 and r.rcpt_text.startswith("4.3.5 "),
              f"7: expected RCPT 451 4.3.5 with the policy service down, got {r}")
        self.expect_postfix_reject("192.0.2.55", "late.example.net", 451, "4.3.5",
                                   "Server configuration problem")


def prerequisites_missing():
    if os.geteuid() != 0:
        return "needs root (Postfix's master runs as root)"
    if not find_postfix_command("postfix") or not find_postfix_command("postconf"):
        return "Postfix is not installed (apt-get install postfix)"
    return None


def make_workdir():
    """A unique directory, searchable by Postfix's unprivileged daemons, with a path short
    enough for a unix socket (sun_path has 108 bytes)."""
    base = None
    if len(tempfile.gettempdir()) > 60:
        base = "/tmp"
    workdir = tempfile.mkdtemp(prefix="grayling-e2e-", dir=base)
    os.chmod(workdir, 0o755)
    return workdir


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grayling", required=True, help="the grayling binary")
    parser.add_argument("--transport", choices=("tcp", "unix"), required=True)
    parser.add_argument("--delay", type=int, default=4, help="grayling --delay (seconds)")
    parser.add_argument("--keep", action="store_true", default=bool(os.environ.get(
        "GRAYLING_E2E_KEEP")), help="keep the temporary directory")
    args = parser.parse_args()

    missing = prerequisites_missing()
    if missing:
        if os.environ.get("GRAYLING_E2E_REQUIRED"):
            print(f"FAIL: {missing}", flush=True)
            return 1
        print(f"SKIP: {missing}", flush=True)
        return SKIP
    binary = os.path.abspath(args.grayling)
    if not os.access(binary, os.X_OK):
        print(f"FAIL: {binary} is not executable", flush=True)
        return 1

    # ctest's timeout or ^C: turn into an exception so that the finally clause cleans up.
    def on_signal(signum, _frame):
        raise TestFailure(f"interrupted by signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGALRM, on_signal)
    signal.alarm(OVERALL_BUDGET_S)

    workdir = make_workdir()
    log(f"work directory {workdir}")
    grayling = Grayling(binary, workdir, args.transport, args.delay)
    postfix = None
    ok = False
    try:
        grayling.start()
        postfix = PrivatePostfix(os.path.join(workdir, "postfix"))
        for attempt in range(3):
            postfix.configure(free_port(), grayling.endpoint)
            log(f"starting Postfix, smtpd on 127.0.0.1:{postfix.smtpd_port}, "
                f"policy service {grayling.endpoint}")
            log_start = len(postfix.log_text())
            try:
                postfix.start()
                break
            except PostfixError as e:
                postfix.stop()
                if "in use" in postfix.log_text()[log_start:] and attempt < 2:
                    log(f"{e}; the port was taken meanwhile, retrying with another one")
                    continue
                raise
        log("Postfix is up")
        E2E(grayling, postfix).run(args.delay)
        ok = True
    except Exception as e:  # noqa: BLE001 - any failure gets the logs and the cleanup
        print(f"FAIL: {type(e).__name__}: {e}", flush=True)
        if not isinstance(e, TestFailure):
            traceback.print_exc(file=sys.stdout)
    finally:
        # Cleanup must not be cut short by a second signal.
        signal.alarm(0)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_IGN)
        if postfix is not None:
            postfix.stop()
        status = grayling.stop()
        if ok and status not in (None, 0):
            print(f"FAIL: grayling exit status {status}", flush=True)
            ok = False
        if not ok:
            print("---- grayling log (tail) ----\n" + tail(grayling.log_text()), flush=True)
            if postfix is not None:
                print("---- Postfix maillog (tail) ----\n" + tail(postfix.log_text()),
                      flush=True)
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    log("PASS" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
