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

and checks grayling's decision log and Postfix's maillog for each. Standard library only;
the pieces shared with the other scripts are in e2e_harness.py.
Exit status: 0 pass, 1 fail, 77 skipped (no Postfix, not root); with GRAYLING_E2E_REQUIRED=1
a missing prerequisite is a failure instead. GRAYLING_E2E_KEEP=1 (or --keep) keeps the
temporary directory.
"""

import os
import re
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_harness import (RECIPIENT, SENDER, check, log, postfix_trouble, run_main,  # noqa: E402
                         smtp_conversation, wait_for)

# Whole-run budget, below the ctest TIMEOUT so that the cleanup always gets to run.
OVERALL_BUDGET_S = 100


# --- the test -------------------------------------------------------------------------------

class E2E:
    def __init__(self, grayling, postfix):
        self.grayling = grayling
        self.postfix = postfix
        self.grayling_offset = 0  # where the previous step's grayling log lines ended

    def expect_grayling(self, action, reason, client_addr):
        """The decision line for this step: searched only after the previous step's line, so
        every step must have produced its own decision."""
        prefix = 32 if ":" not in client_addr else 128
        pattern = (rf"action={action}, reason={reason}.*, client_address={re.escape(client_addr)}"
                   rf"/{prefix}, sender={re.escape(SENDER)}, recipient={re.escape(RECIPIENT)}$")
        source = lambda: self.grayling.log_text()[self.grayling_offset:]  # noqa: E731
        m = wait_for("grayling's log", source, pattern)
        self.grayling_offset += m.end()
        return m.group(0)

    def expect_postfix_reject(self, client_addr, client_name, code, enhanced, text):
        pattern = (rf"NOQUEUE: reject: RCPT from {re.escape(client_name)}"
                   rf"\[{re.escape(client_addr)}\]: {code} {re.escape(enhanced)} "
                   rf"<{re.escape(RECIPIENT)}>: Recipient address rejected: {text}")
        return wait_for("Postfix's maillog", self.postfix.log_text, pattern).group(0)

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
        wait_for("Postfix's maillog", self.postfix.log_text,
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
        trouble = postfix_trouble(self.postfix.log_text())
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


def main():
    def scenario(grayling, postfix, args):
        E2E(grayling, postfix).run(args.delay)
    return run_main(__doc__.splitlines()[0], scenario, OVERALL_BUDGET_S)


if __name__ == "__main__":
    sys.exit(main())
