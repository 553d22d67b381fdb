#!/usr/bin/env python3
"""End-to-end test: SPF equivalence through a real Postfix and a real DNS server.

    spf_e2e.py --grayling PATH --transport tcp [--delay N] [--keep]

Starts a private unbound serving a test zone (private_unbound.py), grayling with
--spf-equivalence=on and --dns-server pointing at it, and a private Postfix asking grayling
at RCPT time; then, with XCLIENT presenting the addresses of a sender's pool:

  1. first attempt from one of the pool's networks             -> 450 Greylisted
  2. retry after the delay from another network the domain's SPF authorises
                                                                  -> 250, X-Greylist header
  3. the same sender from a network the domain does not authorise -> 450 (a new triplet)

Exit status: 0 pass, 1 fail, 77 skipped (no Postfix, no unbound, not root); with
GRAYLING_E2E_REQUIRED=1 a missing prerequisite is a failure instead.
"""

import atexit
import os
import re
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_harness import (RECIPIENT, check, free_port, log, run_main, skip_or_fail,  # noqa: E402
                         smtp_conversation, wait_for)
from private_unbound import PrivateUnbound, unbound_binary  # noqa: E402

OVERALL_BUDGET_S = 60
SENDER = "alice@pool.example"
ZONE = ["pool.example. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.0/24 -all\""]


def prepare(workdir):
    unbound = PrivateUnbound(workdir, ["example."], ZONE)
    unbound.start(free_port)
    atexit.register(unbound.stop)
    log(f"unbound serving the test zone on 127.0.0.1:{unbound.port}")
    return {"extra_args": ["--spf-equivalence=on", f"--dns-server=127.0.0.1:{unbound.port}"]}


def scenario(grayling, postfix, args):
    def attempt(step, addr, name):
        r = smtp_conversation(postfix.smtpd_port, addr, name, sender=SENDER, recipient=RECIPIENT)
        log(f"{step}: {addr}: {r}")
        return r

    started = time.monotonic()
    r = attempt("1 first attempt", "192.0.2.10", "out1.pool.example")
    check(r.rcpt_code == 450 and "Greylisted" in r.rcpt_text, f"1: expected 450 Greylisted, got {r}")
    wait_for("grayling's log", grayling.log_text,
             rf"action=greylist, reason=new, .*client_address=192\.0\.2\.10/32, sender={re.escape(SENDER)}")
    time.sleep(max(0.0, started + args.delay + 1.2 - time.monotonic()))

    r = attempt("2 retry from another authorised network", "198.51.100.20", "out2.pool.example")
    check(r.rcpt_code == 250 and r.data_code == 250, f"2: expected the retry to be accepted, got {r}")
    line = wait_for("grayling's log", grayling.log_text,
                    rf"action=pass, reason=triplet found, delay=(\d+), .*client_address=198\.51\.100\.20/32")
    check(int(line.group(1)) >= args.delay, f"2: passed before the delay: {line.group(0)}")
    queue_id = re.search(r"queued as ([0-9A-Za-z]+)", r.data_text).group(1)
    wait_for("Postfix's maillog", postfix.log_text, rf"{queue_id}: info: header X-Greylist: delayed \d+ seconds")

    r = attempt("3 a network the domain does not authorise", "203.0.113.30", "elsewhere.example")
    check(r.rcpt_code == 450 and "Greylisted" in r.rcpt_text, f"3: expected 450 Greylisted, got {r}")
    wait_for("grayling's log", grayling.log_text,
             r"action=greylist, reason=new, .*client_address=203\.0\.113\.30/32")


def main():
    if unbound_binary() is None:
        return skip_or_fail("unbound is not installed (apt-get install unbound)",
                            bool(os.environ.get("GRAYLING_E2E_REQUIRED")))
    return run_main(__doc__.splitlines()[0], scenario, OVERALL_BUDGET_S, prepare=prepare)


if __name__ == "__main__":
    sys.exit(main())
