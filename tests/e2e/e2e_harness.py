"""Shared pieces of the end-to-end test scripts (postfix_e2e.py, whitelist_e2e.py,
shared_store_e2e.py).

    Grayling        the daemon under test, in the foreground, its output in a log file
    smtp_session    one SMTP session with XCLIENT, any number of recipients, DATA if accepted
    wait_for        polls a log until a regex matches
    postfix_trouble the warnings, errors and panics of a Postfix log that are about the test,
                    not about the machine it runs on
    LogCursor       reads a log step by step, so that each step must produce its own lines
    run_main        argument parsing, the skip rules, the time budget, the work directory,
                    starting grayling and the private Postfix (private_postfix.py), cleanup
    skip_or_fail, arm_budget, disarm_budget, report_failure
                    run_main's steps, for scripts with a set-up of their own

Standard library only. Exit status of run_main: 0 pass, 1 fail, 77 skipped (no Postfix, not
root); with GRAYLING_E2E_REQUIRED=1 a missing prerequisite is a failure instead.
GRAYLING_E2E_KEEP=1 (or --keep) keeps the temporary directory.
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


# Postfix warnings about the machine, not about what a test exercises: a virtual machine's
# file system clock a second off the system clock (cleanup and the queue manager check it on
# every queue file), a host without IPv6. Everything else Postfix warns of is trouble:
# above all "problem talking to server", policy timeouts and connection failures, which are
# the policy service's doing and would show in no SMTP reply.
ENVIRONMENTAL_POSTFIX_WARNINGS = (
    re.compile(r"warning: file system clock is \d+ seconds? ahead of local clock"),
    re.compile(r"warning: inet_protocols: disabling IPv6 name/address support"),
    re.compile(r"warning: inet_protocols: IPv6 support is disabled"),
)


def postfix_trouble(log_text):
    """The lines of a Postfix log that report a warning, error, fatal error or panic, but
    for the known environmental warnings above."""
    lines = re.findall(r"^.*\b(?:warning|error|fatal|panic): .*$", log_text, re.MULTILINE)
    return [line for line in lines
            if not any(known.search(line) for known in ENVIRONMENTAL_POSTFIX_WARNINGS)]


def wait_for(what, source, pattern, timeout=10):
    """Polls source() until the regex matches (re.MULTILINE); returns the match."""
    deadline = time.monotonic() + timeout
    while True:
        m = re.search(pattern, source(), re.MULTILINE)
        if m:
            return m
        if time.monotonic() >= deadline:
            raise TestFailure(f"{what}: no line matching {pattern!r} within {timeout}s")
        time.sleep(0.05)


class LogCursor:
    """A position in a growing log: expect() waits for a match after the position and moves
    past it, so that a line already used by one step cannot satisfy the next."""

    def __init__(self, what, source):
        self.what = what
        self.source = source
        self.offset = 0

    def skip_to_end(self):
        self.offset = len(self.source())

    def expect(self, pattern, timeout=10):
        m = wait_for(self.what, lambda: self.source()[self.offset:], pattern, timeout)
        self.offset += m.end()
        return m


# --- grayling -------------------------------------------------------------------------------

class Grayling:
    """The daemon under test, in the foreground, its stderr in a log file.

    client_whitelists / recipient_whitelists: files for --whitelist-clients / -recipients;
    by default one empty file for each, so that the installed defaults (/etc/grayling/...)
    never matter. extra_args: further command-line options."""

    def __init__(self, binary, workdir, transport, delay, client_whitelists=None,
                 recipient_whitelists=None, extra_args=()):
        self.binary = binary
        self.workdir = workdir
        self.transport = transport
        self.delay = delay
        self.dbdir = os.path.join(workdir, "grayling-db")
        self.logfile = os.path.join(workdir, "grayling.log")
        self.socket_path = os.path.join(workdir, "grayling.sock")
        self.empty_file = os.path.join(workdir, "empty-whitelist")
        self.client_whitelists = list(client_whitelists or [self.empty_file])
        self.recipient_whitelists = list(recipient_whitelists or [self.empty_file])
        self.extra_args = list(extra_args)
        self.proc = None
        self.endpoint = None  # Postfix's name for it: inet:127.0.0.1:PORT or unix:/path

    def base_args(self):
        """The command line without a listener (--inet/--unix); prepares the files it names."""
        os.makedirs(self.dbdir, exist_ok=True)
        open(self.empty_file, "w").close()
        # No SPF unless a test asks (extra_args come later and win): answers must not
        # depend on the machine's resolver.
        args = [self.binary, f"--dbdir={self.dbdir}", f"--delay={self.delay}", "--spf-equivalence=off"]
        args += [f"--whitelist-clients={f}" for f in self.client_whitelists]
        args += [f"--whitelist-recipients={f}" for f in self.recipient_whitelists]
        return args + self.extra_args

    def start(self, timeout=15):
        for attempt in range(3):
            args = self.base_args()
            if self.transport == "tcp":
                port = free_port()
                args.append(f"--inet=127.0.0.1:{port}")
                endpoint = f"inet:127.0.0.1:{port}"
            else:
                # smtpd runs as mail_owner: the socket must be world-writable.
                args += [f"--unix={self.socket_path}", "--socketmode=0666"]
                endpoint = f"unix:{self.socket_path}"
            log_start = len(self.log_text())
            if self.launch(args, timeout):
                self.endpoint = endpoint
                return
            text = self.log_text()[log_start:].lower()
            if self.transport == "tcp" and "in use" in text and attempt < 2:
                log("grayling's port was taken meanwhile; retrying with another one")
                continue
            raise TestFailure(f"grayling exited during startup (exit {self.proc.returncode})")
        raise TestFailure("grayling could not be started")

    def launch(self, command, timeout, **popen):
        """Runs command (grayling's arguments, or a wrapper's), its output appended to the
        log. True once it logs "ready"; False if it exited first; raises if neither happens
        within timeout (after stopping it)."""
        log(f"starting grayling: {' '.join(command[1:])}")
        log_start = len(self.log_text())
        with open(self.logfile, "ab") as out:
            self.proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, **popen)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready: " in self.log_text()[log_start:] and self._listening():
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.05)
        if self.proc.poll() is None:
            self.stop()
            raise TestFailure(f"grayling did not log 'ready' within {timeout}s")
        return False

    def _listening(self):
        if self.transport == "unix":
            return os.path.exists(self.socket_path)
        return True  # "ready" is logged after the listeners are bound

    def signal(self, signum):
        check(self.proc is not None and self.proc.poll() is None,
              f"grayling is not running (exit {self.proc and self.proc.returncode})")
        self.proc.send_signal(signum)

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
                self._print_backtraces()
                self.proc.kill()
                self.proc.wait(10)
                return "killed"
        return self.proc.returncode

    def _print_backtraces(self):
        """Every thread's stack of a grayling that does not stop, where gdb is installed:
        what a hang at SIGTERM needs to be understood."""
        if shutil.which("gdb") is None:
            return
        try:
            traced = subprocess.run(["gdb", "-p", str(self.proc.pid), "-batch", "-ex", "thread apply all bt"],
                                    capture_output=True, text=True, timeout=60)
            print("---- grayling's threads ----\n" + tail(traced.stdout, 200), flush=True)
        except (OSError, subprocess.TimeoutExpired) as e:
            log(f"no backtrace: {e}")

    def log_text(self):
        try:
            with open(self.logfile, "r", errors="replace") as f:
                return f.read()
        except OSError:
            return ""


# --- SMTP -----------------------------------------------------------------------------------

class SmtpResult:
    """The replies of one session: rcpts is [(recipient, code, text)], in order; data_code
    and data_text are the end-of-DATA reply (None when no recipient was accepted).
    rcpt_code and rcpt_text are the first recipient's reply."""

    def __init__(self):
        self.rcpts = []
        self.data_code = None
        self.data_text = ""

    @property
    def rcpt_code(self):
        return self.rcpts[0][1]

    @property
    def rcpt_text(self):
        return self.rcpts[0][2]

    def code_for(self, recipient):
        return next(code for rcpt, code, _ in self.rcpts if rcpt == recipient)

    def queue_id(self):
        m = re.search(r"queued as ([0-9A-Za-z]+)", self.data_text)
        return m.group(1) if m else None

    def __str__(self):
        if len(self.rcpts) == 1:
            s = f"RCPT {self.rcpt_code} {self.rcpt_text}"
        else:
            s = "; ".join(f"RCPT <{r}> {c} {t}" for r, c, t in self.rcpts)
        if self.data_code is not None:
            s += f"; end of DATA {self.data_code} {self.data_text}"
        return s


def smtp_session(port, client_addr, client_name, sender=SENDER, recipients=(RECIPIENT,)):
    """One SMTP session presenting client_addr/client_name via XCLIENT (client_name
    "[UNAVAILABLE]" makes Postfix's client_name "unknown"). Sends RCPT TO for each recipient
    and, if any was accepted, a message too."""
    xaddr = f"IPV6:{client_addr}" if ":" in client_addr else client_addr
    result = SmtpResult()
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
        for recipient in recipients:
            code, text = smtp.rcpt(recipient)
            result.rcpts.append((recipient, code, text.decode(errors="replace")))
        accepted = [r for r, code, _ in result.rcpts if code == 250]
        if accepted:
            message = (f"From: <{sender}>\r\nTo: {', '.join(f'<{r}>' for r in accepted)}\r\n"
                       f"Subject: grayling end-to-end test\r\n\r\nHello from {client_addr}.\r\n")
            data_code, data_text = smtp.data(message.encode())
            result.data_code = data_code
            result.data_text = data_text.decode(errors="replace")
        else:
            smtp.rset()
        smtp.quit()
    return result


def smtp_conversation(port, client_addr, client_name, sender=SENDER, recipient=RECIPIENT):
    """smtp_session with one recipient."""
    return smtp_session(port, client_addr, client_name, sender, (recipient,))


# --- the run --------------------------------------------------------------------------------

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


def start_postfix(postfix, grayling):
    """Configures and starts the private Postfix instance, its smtpd asking grayling;
    retried if its port is taken between picking and binding it."""
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


def skip_or_fail(missing, required):
    """For a missing prerequisite: says so and returns the exit status, 1 if required (the
    environment asked for the test to run), else 77 (skipped)."""
    print(f"{'FAIL' if required else 'SKIP'}: {missing}", flush=True)
    return 1 if required else SKIP


def arm_budget(budget_s):
    """Turns ctest's timeout (SIGTERM), ^C and an alarm after budget_s into a TestFailure,
    so that the caller's finally clause cleans up; keep budget_s below the ctest TIMEOUT."""
    def on_signal(signum, _frame):
        raise TestFailure(f"interrupted by signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGALRM, on_signal)
    signal.alarm(budget_s)


def disarm_budget():
    """At the start of the cleanup, which must not be cut short by a second signal."""
    signal.alarm(0)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, signal.SIG_IGN)


def report_failure(e):
    """FAIL with the exception; a traceback too unless it is a plain TestFailure."""
    print(f"FAIL: {type(e).__name__}: {e}", flush=True)
    if not isinstance(e, TestFailure):
        traceback.print_exc(file=sys.stdout)


def argument_parser(description):
    """The options every script takes: --grayling, --delay, --keep."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--grayling", required=True, help="the grayling binary")
    parser.add_argument("--delay", type=int, default=4, help="grayling --delay (seconds)")
    parser.add_argument("--keep", action="store_true", default=bool(os.environ.get(
        "GRAYLING_E2E_KEEP")), help="keep the temporary directory")
    return parser


def grayling_binary(args):
    """--grayling as an absolute path, or None (after saying why) if it cannot be run."""
    binary = os.path.abspath(args.grayling)
    if not os.access(binary, os.X_OK):
        print(f"FAIL: {binary} is not executable", flush=True)
        return None
    return binary


def run_main(description, scenario, budget_s, prepare=None, make_grayling=None):
    """The whole script: parses --grayling, --transport, --delay, --keep; skips (77) without
    the prerequisites; arms a budget_s alarm (keep it below the ctest TIMEOUT so that the
    cleanup always gets to run); creates the work directory; calls prepare(workdir) (if
    given) for extra Grayling keyword arguments; starts grayling and Postfix; calls
    scenario(grayling, postfix, args); stops both and prints the logs' tails on failure.
    make_grayling(binary, workdir, args), if given, makes a Grayling of another kind, which
    chooses its own transport (the script then takes no --transport).
    Returns the exit status."""
    parser = argument_parser(description)
    if make_grayling is None:
        parser.add_argument("--transport", choices=("tcp", "unix"), required=True)
    args = parser.parse_args()

    missing = prerequisites_missing()
    if missing:
        return skip_or_fail(missing, bool(os.environ.get("GRAYLING_E2E_REQUIRED")))
    binary = grayling_binary(args)
    if binary is None:
        return 1

    arm_budget(budget_s)

    workdir = make_workdir()
    log(f"work directory {workdir}")
    grayling = None
    postfix = None
    ok = False
    try:
        options = prepare(workdir) if prepare else {}
        grayling = (make_grayling(binary, workdir, args) if make_grayling
                    else Grayling(binary, workdir, args.transport, args.delay, **options))
        grayling.start()
        postfix = PrivatePostfix(os.path.join(workdir, "postfix"))
        start_postfix(postfix, grayling)
        scenario(grayling, postfix, args)
        ok = True
    except Exception as e:  # noqa: BLE001 - any failure gets the logs and the cleanup
        report_failure(e)
    finally:
        disarm_budget()
        if postfix is not None:
            postfix.stop()
        status = grayling.stop() if grayling is not None else None
        if ok and status not in (None, 0):
            print(f"FAIL: grayling exit status {status}", flush=True)
            ok = False
        if not ok:
            if grayling is not None:
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
