#!/usr/bin/env python3
"""End-to-end test: grayling restarted under mail, its socket held as grayling.socket has
systemd hold it, behind a real Postfix.

    socket_activation_e2e.py --grayling PATH [--delay N] [--keep]

The script binds grayling's TCP socket once and starts every grayling with it, as systemd
starts grayling.service next to grayling.socket: descriptor 3, LISTEN_FDS=1,
LISTEN_FDNAMES=grayling.socket and LISTEN_PID (the process's own pid, set by a shell that
then execs grayling), and no --inet. A private Postfix (private_postfix.py) asks it. Then:

  1. SMTP sessions, one new triplet each, while grayling is restarted three times (SIGTERM,
     wait for the exit, start the next): every RCPT gets grayling's 450 "Greylisted", none
     Postfix's 451 "Server configuration problem", and Postfix's maillog shows no
     "Connection refused" and no policy server "problem" it gave up on
  2. after the delay, a triplet first greylisted before the restarts passes with grayling's
     X-Greylist header: the greylist outlived the restarts

Standard library only; the shared pieces are in e2e_harness.py. Exit status: 0 pass,
1 fail, 77 skipped (no Postfix, not root).
"""

import os
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_harness import Grayling, check, log, run_main, smtp_session, tail  # noqa: E402

# Whole-run budget, below the ctest TIMEOUT so that the cleanup always gets to run.
OVERALL_BUDGET_S = 90
RESTARTS = 3
CLIENT = "192.0.2.77"
CLIENT_NAME = "mx.restart-sender.example"


class SocketActivatedGrayling(Grayling):
    """grayling serving a socket this script holds open across its restarts."""

    def __init__(self, binary, workdir, delay):
        super().__init__(binary, workdir, "tcp", delay)
        self.held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.held.bind(("127.0.0.1", 0))
        self.held.listen(4096)
        self.port = self.held.getsockname()[1]
        self.endpoint = f"inet:127.0.0.1:{self.port}"
        self.starts = 0

    def start(self, timeout=15):
        fd = self.held.fileno()
        # The shell puts the socket on descriptor 3 and exports its own pid, which exec
        # keeps: LISTEN_PID must name grayling's process (sd_listen_fds(3)).
        move = "" if fd == 3 else f"exec 3<&{fd} {fd}<&-; "
        script = move + 'LISTEN_PID=$$; export LISTEN_PID; exec "$0" "$@"'
        env = dict(os.environ, LISTEN_FDS="1", LISTEN_FDNAMES="grayling.socket")
        log_start = len(self.log_text())
        check(self.launch(["/bin/sh", "-c", script] + self.base_args(), timeout, env=env, pass_fds=(fd,)),
              f"grayling exited during startup (exit {self.proc.returncode})")
        check("(socket from systemd: grayling.socket)" in self.log_text()[log_start:],
              "grayling did not serve the socket it was passed")
        self.starts += 1

    def restart(self):
        began = time.monotonic()
        status = self.stop()
        check(status == 0, f"grayling exit status {status} on SIGTERM")
        self.start()
        return time.monotonic() - began


def scenario(grayling, postfix, args):
    early_recipient = "early@example.org"
    first = smtp_session(postfix.smtpd_port, CLIENT, CLIENT_NAME, recipients=(early_recipient,))
    check(first.rcpt_code == 450 and "Greylisted" in first.rcpt_text, f"before the restarts: {first}")
    greylisted_at = time.monotonic()

    # SMTP sessions in a loop in this thread; the restarts in another.
    restart_times = []
    restart_error = []

    def restarts():
        try:
            for _ in range(RESTARTS):
                time.sleep(0.7)
                restart_times.append(grayling.restart())
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            restart_error.append(e)

    restarter = threading.Thread(target=restarts)
    restarter.start()
    replies = []
    index = 0
    while restarter.is_alive() or index < 5:
        result = smtp_session(postfix.smtpd_port, CLIENT, CLIENT_NAME, recipients=(f"r{index}@example.org",))
        replies.append((index, result.rcpt_code, result.rcpt_text))
        index += 1
    restarter.join()
    if restart_error:
        raise restart_error[0]
    log(f"{len(replies)} sessions through {RESTARTS} restarts (each "
        f"{', '.join(f'{t * 1000:.0f} ms' for t in restart_times)})")
    wrong = [(i, code, text) for i, code, text in replies if code != 450 or "Greylisted" not in text]
    check(not wrong, f"{len(wrong)} of {len(replies)} RCPTs not greylisted by grayling: {wrong[:5]}")
    maillog = postfix.log_text()
    check("Connection refused" not in maillog, "Postfix met 'Connection refused':\n" + tail(maillog, 20))
    check("Server configuration problem" not in maillog, "Postfix answered 451:\n" + tail(maillog, 20))

    # The greylist outlived the restarts: the first triplet passes once its delay is over.
    time.sleep(max(0.0, args.delay + 1.2 - (time.monotonic() - greylisted_at)))
    retry = smtp_session(postfix.smtpd_port, CLIENT, CLIENT_NAME, recipients=(early_recipient,))
    check(retry.rcpt_code == 250 and retry.data_code == 250, f"retry after the restarts: {retry}")
    check("action=pass, reason=triplet found" in grayling.log_text(),
          "the retry did not pass as a known triplet")


if __name__ == "__main__":
    sys.exit(run_main(__doc__.splitlines()[0], scenario, OVERALL_BUDGET_S,
                      make_grayling=lambda binary, workdir, args: SocketActivatedGrayling(
                          binary, workdir, args.delay)))
