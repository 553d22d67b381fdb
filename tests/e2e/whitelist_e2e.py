#!/usr/bin/env python3
"""End-to-end test: grayling's client and recipient whitelists behind a real Postfix.

    whitelist_e2e.py --grayling PATH --transport tcp|unix [--delay N] [--keep]

Starts grayling with whitelist files of its own (two --whitelist-clients files, one with a
.local companion, and a --whitelist-recipients file; the auto-whitelist off) and a private
Postfix instance (private_postfix.py), then plays SMTP sessions with XCLIENT:

  1. NAME under a whitelisted domain ("trusted.example")  -> 250 at the first attempt, the
     message accepted without an X-Greylist header; also the domain itself, upper case
  2. the same address with no name (XCLIENT NAME=[UNAVAILABLE], client_name=unknown), a
     name that only ends in the same characters, a name that only starts with the domain
                                                          -> 450 greylisted
  3. unknown name, address in a whitelisted CIDR, IPv4 address or IPv6 network -> 250;
     just outside them -> 450
  4. regex entry /^smtp\\d+\\.regex\\.example$/              -> 250 for smtp7.regex.example
     (and, case-insensitively, SMTP12.Regex.Example); 450 for smtp.regex.example
  5. one transaction, two recipients: postmaster@example.org (entry "postmaster@") -> 250,
     bob@example.org -> 450; DATA goes to postmaster only; after the delay bob passes
     with grayling's X-Greylist header; "postmaster@" also covers PostMaster+ext@
  6. an entry only in the .local companion file            -> 250
  7. reload: a client greylisted (450), its domain appended to the clients file (and a
     .local companion created), SIGHUP, "reload complete" -> the same client gets 250;
     then a broken regex line appended and SIGHUP: a warning naming FILE:LINE, the line
     skipped, and the daemon keeps serving the good entries

Each step is checked in the SMTP replies, grayling's decision log and Postfix's maillog.
Standard library only; the shared pieces are in e2e_harness.py. Exit status: 0 pass,
1 fail, 77 skipped (no Postfix, not root); see e2e_harness.py for the environment variables.
"""

import os
import re
import signal
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_harness import (RECIPIENT, LogCursor, check, log, postfix_trouble, run_main,  # noqa: E402
                         smtp_session, wait_for)

# Whole-run budget, below the ctest TIMEOUT so that the cleanup always gets to run.
OVERALL_BUDGET_S = 60
POSTMASTER = "postmaster@example.org"
UNAVAILABLE = "[UNAVAILABLE]"  # XCLIENT's "no name": Postfix's client_name is then "unknown"

# The whitelist files, in the work directory. Line numbers matter for the reload step.
CLIENTS = "whitelist-clients"
CLIENTS_TEXT = """\
# grayling end-to-end test: client whitelist
trusted.example
198.51.100.128/25
192.0.2.44      # a single address
2001:db8:77::/48
"""
CLIENTS_LOCAL_TEXT = "local-only.example\n"
CLIENTS_REGEX = "whitelist-clients-regex"  # a second --whitelist-clients file
CLIENTS_REGEX_TEXT = "/^smtp\\d+\\.regex\\.example$/\n"
RECIPIENTS = "whitelist-recipients"
RECIPIENTS_TEXT = "postmaster@\n"
CLIENT_ENTRIES = 6  # 4 + 1 (.local) + 1 (regex file)
RECIPIENT_ENTRIES = 1
BROKEN_REGEX = "/^mx(unclosed\\.example$/"


def prepare(workdir):
    """Writes the whitelist files; returns grayling's options for them."""
    def write(name, text):
        path = os.path.join(workdir, name)
        with open(path, "w") as f:
            f.write(text)
        return path
    clients = write(CLIENTS, CLIENTS_TEXT)
    write(CLIENTS + ".local", CLIENTS_LOCAL_TEXT)
    regexes = write(CLIENTS_REGEX, CLIENTS_REGEX_TEXT)
    recipients = write(RECIPIENTS, RECIPIENTS_TEXT)
    return {"client_whitelists": [clients, regexes], "recipient_whitelists": [recipients],
            "extra_args": ["--auto-whitelist-clients=0"]}


class WhitelistE2E:
    def __init__(self, grayling, postfix):
        self.grayling = grayling
        self.postfix = postfix
        self.clients_file = grayling.client_whitelists[0]
        # Decision lines are expected in order, each after the previous one.
        self.decisions = LogCursor("grayling's log", grayling.log_text)
        self.senders = 0

    def new_sender(self):
        """A sender of its own for each step, so that every greylisted step is a new triplet
        whatever the steps before it did."""
        self.senders += 1
        return f"sender{self.senders}@example.net"

    # --- checks -----------------------------------------------------------------------------

    def expect_decision(self, action, reason, client_addr, client_name, sender, recipient):
        """The decision line for one RCPT. client_name: as given to XCLIENT."""
        logged_name = "unknown" if client_name == UNAVAILABLE else client_name
        prefix = 128 if ":" in client_addr else 32
        pattern = (rf"action={action}, reason={reason}, client_name={re.escape(logged_name)}, "
                   rf"client_address={re.escape(client_addr)}/{prefix}, "
                   rf"sender={re.escape(sender)}, recipient={re.escape(recipient)}$")
        return self.decisions.expect(pattern).group(0)

    def expect_delivered(self, step, result, recipients, x_greylist_delay=None):
        """The message was queued and delivered (to the discard transport) to exactly these
        recipients; with an X-Greylist header saying x_greylist_delay, or with none."""
        check(result.data_code == 250, f"{step}: expected the message to be accepted: {result}")
        queue_id = result.queue_id()
        check(queue_id, f"{step}: no queue id in the DATA reply: {result}")
        for recipient in recipients:
            wait_for("Postfix's maillog", self.postfix.log_text,
                     rf"{queue_id}: to=<{re.escape(recipient)}>, relay=none, .*status=sent")
        # qmgr logs "removed" after the last delivery; by then every to= line is there.
        wait_for("Postfix's maillog", self.postfix.log_text, rf"{queue_id}: removed$")
        delivered = re.findall(rf"{queue_id}: to=<([^>]*)>", self.postfix.log_text())
        check(sorted(delivered) == sorted(recipients),
              f"{step}: delivered to {delivered}, expected {recipients}")
        # header_checks logs the header before the message is queued.
        headers = re.findall(rf"{queue_id}: info: header X-Greylist: delayed (\d+) seconds by "
                             r"grayling-", self.postfix.log_text())
        if x_greylist_delay is None:
            check(not headers, f"{step}: unexpected X-Greylist header (delayed {headers}s)")
        else:
            check(headers == [str(x_greylist_delay)],
                  f"{step}: expected one X-Greylist header saying {x_greylist_delay}s, got "
                  f"{headers}")

    def expect_rejected(self, step, client_addr, client_name, sender, recipient):
        logged_name = "unknown" if client_name == UNAVAILABLE else client_name
        # NOQUEUE, or the queue id if an earlier recipient of the transaction was accepted.
        pattern = (rf"(?:NOQUEUE|[0-9A-Za-z]+): reject: RCPT from {re.escape(logged_name)}"
                   rf"\[{re.escape(client_addr)}\]: 450 4\.2\.0 <{re.escape(recipient)}>: "
                   rf"Recipient address rejected: Greylisted, see "
                   rf"http://postgrey\.schweikert\.ch/help/example\.org\.html; "
                   rf"from=<{re.escape(sender)}> to=<{re.escape(recipient)}>")
        wait_for(f"{step}: Postfix's maillog", self.postfix.log_text, pattern)

    def check_greylisted_reply(self, step, result, recipient):
        code, text = next((c, t) for r, c, t in result.rcpts if r == recipient)
        check(code == 450 and text.startswith("4.2.0 ") and "Greylisted" in text,
              f"{step}: expected RCPT <{recipient}> 450 4.2.0 ... Greylisted, got {result}")

    # --- steps ------------------------------------------------------------------------------

    def whitelisted(self, step, client_addr, client_name, reason="client whitelist",
                    sender=None, recipient=RECIPIENT):
        """Accepted at the first attempt because of a whitelist; the message too, without an
        X-Greylist header."""
        sender = sender or self.new_sender()
        r = smtp_session(self.postfix.smtpd_port, client_addr, client_name, sender, [recipient])
        log(f"{step}: {client_name}[{client_addr}]: {r}")
        check(r.rcpt_code == 250, f"{step}: expected RCPT 250 (whitelisted), got {r}")
        line = self.expect_decision("pass", reason, client_addr, client_name, sender, recipient)
        log(f"{step}: grayling: {line.split(', client_name=')[0]}")
        self.expect_delivered(step, r, [recipient])
        return r

    def greylisted(self, step, client_addr, client_name, sender=None, reason="new",
                   recipient=RECIPIENT):
        sender = sender or self.new_sender()
        r = smtp_session(self.postfix.smtpd_port, client_addr, client_name, sender, [recipient])
        log(f"{step}: {client_name}[{client_addr}]: {r}")
        self.check_greylisted_reply(step, r, recipient)
        line = self.expect_decision("greylist", reason, client_addr, client_name, sender,
                                    recipient)
        log(f"{step}: grayling: {line.split(', client_name=')[0]}")
        self.expect_rejected(step, client_addr, client_name, sender, recipient)
        return r

    def expect_entry_counts(self, step, clients, recipients):
        """The latest load of the whitelists (at startup or reload) had these many entries."""
        counts = re.findall(r"whitelists: (\d+) client entries, (\d+) recipient entries$",
                            self.grayling.log_text(), re.MULTILINE)
        check(counts and counts[-1] == (str(clients), str(recipients)),
              f"{step}: whitelist entries (client, recipient) {counts[-1:]}, expected "
              f"{clients} and {recipients}")

    def reload(self, step, expected_warnings=()):
        """SIGHUP and wait for "reload complete"; the reload must log exactly these warnings
        (regexes) and the expected entry counts."""
        reload_log = LogCursor("grayling's log", self.grayling.log_text)
        reload_log.skip_to_end()
        self.grayling.signal(signal.SIGHUP)
        start = reload_log.offset
        reload_log.expect(r"HUP received: reloading configuration and whitelists$")
        reload_log.expect(r"reload complete: ")
        text = self.grayling.log_text()[start:reload_log.offset]
        log(f"{step}: grayling reloaded:\n    " + "\n    ".join(text.strip().splitlines()))
        warnings = re.findall(r"^.* warning: (.*)$", text, re.MULTILINE)
        check(len(warnings) == len(expected_warnings)
              and all(re.fullmatch(p, w) for p, w in zip(expected_warnings, warnings)),
              f"{step}: reload warnings {warnings}, expected {list(expected_warnings)}")
        check(not re.search(r"^.* (?:error|critical): ", text, re.MULTILINE),
              f"{step}: the reload logged errors:\n{text}")
        return text

    def run(self, delay):
        g = self.grayling
        # Startup: every entry of the three files and the .local companion was read.
        self.expect_entry_counts("startup", CLIENT_ENTRIES, RECIPIENT_ENTRIES)
        self.decisions.skip_to_end()

        # 5, first half, first: its greylist delay runs while the other steps play.
        step = "5 mixed recipients"
        mixed_addr, mixed_name, mixed_sender = "192.0.2.80", "mail.mixed.example", \
            self.new_sender()
        started = time.monotonic()
        r = smtp_session(self.postfix.smtpd_port, mixed_addr, mixed_name, mixed_sender,
                         [POSTMASTER, RECIPIENT])
        mixed_answered = time.monotonic()
        log(f"{step}: {mixed_name}[{mixed_addr}]: {r}")
        check(r.code_for(POSTMASTER) == 250,
              f"{step}: expected RCPT <{POSTMASTER}> 250 (recipient whitelist), got {r}")
        self.check_greylisted_reply(step, r, RECIPIENT)
        for action, reason, recipient in (("pass", "recipient whitelist", POSTMASTER),
                                          ("greylist", "new", RECIPIENT)):
            line = self.expect_decision(action, reason, mixed_addr, mixed_name, mixed_sender,
                                        recipient)
            log(f"{step}: grayling: {line}")
        self.expect_rejected(step, mixed_addr, mixed_name, mixed_sender, RECIPIENT)
        self.expect_delivered(step, r, [POSTMASTER])

        self.whitelisted("5 recipient whitelist, user+extension, any case", "192.0.2.81",
                         "mail2.mixed.example", reason="recipient whitelist",
                         recipient="PostMaster+e2e@example.org")

        self.whitelisted("1 name under a whitelisted domain", "198.51.100.10",
                         "mx1.trusted.example")
        self.whitelisted("1 the whitelisted domain itself", "198.51.100.11", "trusted.example")
        self.whitelisted("1 deeper, upper case", "198.51.100.12", "A.MX.Trusted.EXAMPLE")

        self.greylisted("2 same address, no name", "198.51.100.10", UNAVAILABLE)
        self.greylisted("2 not at a label boundary", "198.51.100.10", "mx1.nottrusted.example")
        self.greylisted("2 domain as a prefix only", "198.51.100.10", "trusted.example.invalid")

        self.whitelisted("3 unknown name, in the CIDR", "198.51.100.200", UNAVAILABLE)
        self.whitelisted("3 unknown name, CIDR's first address", "198.51.100.128", UNAVAILABLE)
        self.greylisted("3 unknown name, just below the CIDR", "198.51.100.127", UNAVAILABLE)
        self.whitelisted("3 unknown name, the single address", "192.0.2.44", UNAVAILABLE)
        self.greylisted("3 unknown name, next to the single address", "192.0.2.45", UNAVAILABLE)
        self.whitelisted("3 unknown name, in the IPv6 network", "2001:db8:77:5::9", UNAVAILABLE)
        self.greylisted("3 unknown name, outside the IPv6 network", "2001:db8:78::9",
                        UNAVAILABLE)
        self.whitelisted("3 a name not listed, address in the CIDR", "198.51.100.201",
                         "mx.not-listed.example")

        self.whitelisted("4 regex", "203.0.113.7", "smtp7.regex.example")
        self.whitelisted("4 regex, case-insensitive", "203.0.113.8", "SMTP12.Regex.Example")
        self.greylisted("4 regex not matching", "203.0.113.9", "smtp.regex.example")

        self.whitelisted("6 entry in the .local file", "203.0.113.30",
                         "relay.local-only.example")

        # 7: a client greylisted, its domain added, SIGHUP: the same triplet now passes,
        # because of the whitelist (it is still well within the greylist delay).
        reload_addr, reload_name = "198.51.100.60", "mx.reloaded.example"
        reload_sender = self.new_sender()
        self.greylisted("7 before the reload", reload_addr, reload_name, sender=reload_sender)
        self.greylisted("7 before the reload, new .local", "203.0.113.40", "mx.late-local.example")
        with open(self.clients_file, "a") as f:
            f.write("reloaded.example\n")
        # A .local companion created while the daemon runs is read at the reload too.
        with open(g.client_whitelists[1] + ".local", "w") as f:
            f.write("late-local.example\n")
        self.reload("7 reload")
        self.decisions.skip_to_end()
        self.expect_entry_counts("7 reload", CLIENT_ENTRIES + 2, RECIPIENT_ENTRIES)
        self.whitelisted("7 after the reload, same triplet", reload_addr, reload_name,
                         sender=reload_sender)
        self.whitelisted("7 after the reload, new .local", "203.0.113.40", "mx.late-local.example")

        # A broken regex: a warning with FILE:LINE, the line skipped, the rest still served.
        with open(self.clients_file) as f:
            broken_line = len(f.read().splitlines()) + 1
        with open(self.clients_file, "a") as f:
            f.write(BROKEN_REGEX + "\n")
        self.reload("7 reload with a broken regex", expected_warnings=[
            rf"whitelist {re.escape(self.clients_file)}:{broken_line}: bad regular expression "
            rf"{re.escape(BROKEN_REGEX)}: .+"])
        self.decisions.skip_to_end()
        self.expect_entry_counts("7 broken regex", CLIENT_ENTRIES + 2, RECIPIENT_ENTRIES)
        self.whitelisted("7 after the broken reload: domain", "198.51.100.13",
                         "mx2.trusted.example")
        self.whitelisted("7 after the broken reload: appended domain", "198.51.100.61",
                         "mx2.reloaded.example")
        self.whitelisted("7 after the broken reload: regex", "203.0.113.10",
                         "smtp99.regex.example")
        self.whitelisted("7 after the broken reload: .local", "203.0.113.31",
                         "relay2.local-only.example")
        self.whitelisted("7 after the broken reload: recipient", "203.0.113.99",
                         "mx.not-listed.example", reason="recipient whitelist",
                         recipient=POSTMASTER)
        self.greylisted("7 after the broken reload: not listed", "203.0.113.99",
                        "mx.not-listed.example")

        # 5, second half: bob's retry after the delay (a margin for whole-second clocks).
        step = "5 retry after the delay"
        check(mixed_answered - started + 1.5 < delay,
              f"{step}: this machine is too slow for --delay={delay}")
        wait = mixed_answered + delay + 1.2 - time.monotonic()
        if wait > 0:
            log(f"waiting {wait:.1f}s for the greylist delay to pass")
            time.sleep(wait)
        r = smtp_session(self.postfix.smtpd_port, mixed_addr, mixed_name, mixed_sender,
                         [RECIPIENT])
        log(f"{step}: {mixed_name}[{mixed_addr}]: {r}")
        check(r.rcpt_code == 250, f"{step}: expected RCPT 250, got {r}")
        line = self.expect_decision("pass", r"triplet found, delay=\d+", mixed_addr,
                                    mixed_name, mixed_sender, RECIPIENT)
        log(f"{step}: grayling: {line.split(', client_name=')[0]}")
        waited = int(re.search(r", delay=(\d+)", line).group(1))
        check(waited >= delay, f"{step}: passed after {waited}s, before the delay of {delay}s")
        self.expect_delivered(step, r, [RECIPIENT], x_greylist_delay=waited)

        # Nothing else went wrong: Postfix logged no trouble, grayling no errors and no
        # warnings but the broken regex's.
        trouble = postfix_trouble(self.postfix.log_text())
        check(not trouble, "Postfix logged trouble:\n" + "\n".join(trouble))
        trouble = [line for line in re.findall(r"^.* (?:warning|error|critical): .*$",
                                               g.log_text(), re.MULTILINE)
                   if "bad regular expression " + BROKEN_REGEX not in line]
        check(not trouble, "grayling logged trouble:\n" + "\n".join(trouble))


def main():
    def scenario(grayling, postfix, args):
        WhitelistE2E(grayling, postfix).run(args.delay)
    return run_main(__doc__.splitlines()[0], scenario, OVERALL_BUDGET_S, prepare)


if __name__ == "__main__":
    sys.exit(main())
