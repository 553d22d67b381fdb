#!/usr/bin/env python3
"""End-to-end test: two MX hosts, each a grayling behind a real (private) Postfix, sharing
one greylist in PostgreSQL (README, "Several MX hosts").

    shared_store_e2e.py --grayling PATH [--delay N] [--keep]

Starts a private PostgreSQL server (private_postgres.py) with a database `grayling` owned
by a role `grayling`, as the README's minimal setup has it, and two MX hosts, each in a
directory of its own:

    mx1  grayling A, --store=postgresql://grayling@127.0.0.1:PORT/grayling (a libpq URI,
         over TCP), behind private Postfix P1 (private_postfix.py)
    mx2  grayling B, --store=postgresql:host=SOCKETDIR port=PORT dbname=grayling
         user=grayling (a keyword string, over the unix socket), behind private Postfix P2

then sends one triplet (XCLIENT client, sender, recipient) through them:

  1. through mx1                          -> 450 4.2.0 Greylisted; A logs reason=new
  2. through mx2, a second later, before the delay
                                          -> 450; B logs reason=early-retry: B sees A's row
  3. through mx2, after the delay         -> 250, the message accepted, with B's X-Greylist
                                             header; B logs the triplet's first pass
                                             (delay=N, N >= the delay)
  4. through mx1                          -> 250, no X-Greylist header; A logs a later pass
                                             (no delay=): A sees B's pass
  5. the database                         -> exactly one triplet row, this triplet's, passed

Each step is checked in the SMTP replies, the answering grayling's decision log and its
Postfix's maillog; the other grayling must not have decided anything meanwhile.
Standard library only; the shared pieces are in e2e_harness.py.
Exit status: 0 pass, 1 fail, 77 skipped (not root, no Postfix, no PostgreSQL). With
GRAYLING_E2E_REQUIRED=1 any missing prerequisite is a failure instead, with
GRAYLING_PG_REQUIRED=1 a missing PostgreSQL. GRAYLING_E2E_KEEP=1 (or --keep) keeps the
temporary directory.
"""

import hashlib
import ipaddress
import os
import re
import shutil
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import private_postgres  # noqa: E402
from e2e_harness import (RECIPIENT, SENDER, Grayling, LogCursor, argument_parser,  # noqa: E402
                         arm_budget, check, disarm_budget, grayling_binary, log, make_workdir,
                         postfix_trouble, prerequisites_missing, report_failure, skip_or_fail,
                         smtp_conversation, start_postfix, tail, wait_for)
from private_postfix import PrivatePostfix  # noqa: E402

# Whole-run budget, below the ctest TIMEOUT so that the cleanup always gets to run.
OVERALL_BUDGET_S = 60
DATABASE = "grayling"  # the database, and the role that owns it
CLIENT, CLIENT_NAME = "192.0.2.7", "mail.example.net"


def triplet_row_id():
    """The id of this test's triplet in grayling_triplets: the first 8 bytes of the SHA-1 of
    its key (the client's /24, sender, recipient: src/core/triplet_key.cpp), as a signed
    64-bit integer (src/store/row_ids.cpp)."""
    network = ipaddress.ip_network(f"{CLIENT}/24", strict=False).network_address
    key = f"{network}/{SENDER}/{RECIPIENT}".lower()
    return int.from_bytes(hashlib.sha1(key.encode()).digest()[:8], "big", signed=True)


class Host:
    """One MX host: a grayling on `store` and the private Postfix that asks it, with their
    files in workdir/name (the harness's Grayling keeps its log at a fixed name in its
    directory, so each host needs its own)."""

    def __init__(self, name, binary, workdir, delay, store):
        self.name = name
        directory = os.path.join(workdir, name)
        os.mkdir(directory)
        os.chmod(directory, 0o755)  # Postfix's unprivileged daemons pass through
        # --hostname: the X-Greylist header then names the host that added it.
        self.grayling = Grayling(binary, directory, "tcp", delay, extra_args=[
            f"--store={store}", f"--hostname={name}.grayling-e2e.test"])
        self.postfix = PrivatePostfix(os.path.join(directory, "postfix"))
        self.decisions = LogCursor(f"{name}'s grayling log", self.grayling.log_text)

    def decision(self, action, reason):
        """Waits for this host's decision line for the triplet, after its previous one."""
        return self.decisions.expect(
            rf"action={action}, reason={reason}.*, client_address={re.escape(CLIENT)}/32, "
            rf"sender={re.escape(SENDER)}, recipient={re.escape(RECIPIENT)}$").group(0)

    def undecided(self):
        """Decision lines since this host's previous one (there should be none)."""
        return re.findall(r"^.*action=.*$", self.grayling.log_text()[self.decisions.offset:],
                          re.MULTILINE)


class SharedStoreE2E:
    def __init__(self, mx1, mx2, postgres, delay):
        self.mx1 = mx1
        self.mx2 = mx2
        self.postgres = postgres
        self.delay = delay

    def send(self, step, host):
        r = smtp_conversation(host.postfix.smtpd_port, CLIENT, CLIENT_NAME)
        log(f"{step}: through {host.name}: {r}")
        return r

    def nothing_at_the_other_host(self, step, host):
        other = self.mx2 if host is self.mx1 else self.mx1
        lines = other.undecided()
        check(not lines, f"{step}: {other.name} decided too: {lines}")

    def greylisted(self, step, host, reason):
        r = self.send(step, host)
        check(r.rcpt_code == 450 and r.rcpt_text.startswith("4.2.0 ")
              and "Greylisted" in r.rcpt_text,
              f"{step}: expected RCPT 450 4.2.0 Greylisted, got {r}")
        line = host.decision("greylist", reason)
        log(f"{step}: {host.name}'s grayling: {line.split(', client_name=')[0]}")
        wait_for(f"{host.name}'s maillog", host.postfix.log_text,
                 rf"NOQUEUE: reject: RCPT from {re.escape(CLIENT_NAME)}\[{re.escape(CLIENT)}\]: "
                 rf"450 4\.2\.0 <{re.escape(RECIPIENT)}>: Recipient address rejected: Greylisted")
        self.nothing_at_the_other_host(step, host)

    def passed(self, step, host, first_pass):
        """RCPT and message accepted. first_pass: the triplet's first pass, which grayling logs
        with "delay=<seconds since first seen>" and marks with an X-Greylist header; later
        passes have neither."""
        r = self.send(step, host)
        check(r.rcpt_code == 250, f"{step}: expected RCPT 250, got {r}")
        check(r.data_code == 250, f"{step}: expected the message to be accepted, got {r}")
        if first_pass:
            line = host.decision("pass", r"triplet found, delay=\d+")
            waited = int(re.search(r", delay=(\d+)", line).group(1))
            check(waited >= self.delay,
                  f"{step}: passed after {waited}s, before the delay of {self.delay}s")
        else:
            line = host.decision("pass", "triplet found")
            check(", delay=" not in line, f"{step}: not the triplet's first pass: {line}")
        log(f"{step}: {host.name}'s grayling: {line.split(', client_name=')[0]}")
        queue_id = r.queue_id()
        check(queue_id, f"{step}: no queue id in the DATA reply: {r}")
        # Delivered to the discard transport: Postfix took the message all the way.
        wait_for(f"{host.name}'s maillog", host.postfix.log_text,
                 rf"{queue_id}: to=<{re.escape(RECIPIENT)}>, relay=none, .*status=sent")
        # header_checks logs the header before the message is queued, so before delivery.
        header = re.search(rf"{queue_id}: info: header X-Greylist: delayed (\d+) seconds by "
                           rf"grayling-\S+ at (\S+);", host.postfix.log_text())
        if first_pass:
            check(header, f"{step}: no X-Greylist header on the first pass")
            check(int(header.group(1)) == waited,
                  f"{step}: X-Greylist says {header.group(1)}s, grayling logged {waited}s")
            check(header.group(2) == f"{host.name}.grayling-e2e.test",
                  f"{step}: X-Greylist names {header.group(2)}, not {host.name}")
        else:
            check(header is None, f"{step}: X-Greylist header on a later pass: {header}")
        self.nothing_at_the_other_host(step, host)

    def run(self):
        # Both graylings opened the one database: only the first created the tables (the
        # schema is set up under an advisory lock).
        created = [h.name for h in (self.mx1, self.mx2)
                   if "created the grayling tables in PostgreSQL" in h.grayling.log_text()]
        check(created == [self.mx1.name], f"tables created by {created}, expected mx1 alone")
        for host in (self.mx1, self.mx2):
            host.decisions.skip_to_end()

        started = time.monotonic()
        self.greylisted("1 new triplet", self.mx1, "new")
        answered = time.monotonic()
        # The database's clock has whole seconds, and a retry within the first attempt's
        # second counts as new: retry a little over a second later, well before the delay.
        time.sleep(max(0.0, answered + 1.1 - time.monotonic()))
        check(time.monotonic() - started + 1.5 < self.delay,
              f"this machine is too slow for --delay={self.delay}: the retry would not be "
              "early, so the test would be inconclusive")
        self.greylisted("2 early retry at the other MX", self.mx2, r"early-retry \(\d+s missing\)")

        # After the delay, with a margin for whole-second clocks.
        wait = answered + self.delay + 1.2 - time.monotonic()
        log(f"waiting {wait:.1f}s for the greylist delay to pass")
        time.sleep(max(0.0, wait))
        self.passed("3 retry after the delay, other MX", self.mx2, first_pass=True)
        self.passed("4 retry at the first MX", self.mx1, first_pass=False)

        rows = self.postgres.psql("SELECT id, passed FROM grayling_triplets", DATABASE)
        log(f"5 grayling_triplets: {rows!r}")
        check(rows.splitlines() == [f"{triplet_row_id()}|t"],
              f"5: expected exactly one triplet row, id {triplet_row_id()}, passed; got {rows!r}")

        # Nothing went wrong on the way (a malformed policy reply, for one, would be a Postfix
        # warning even if the SMTP replies looked right; a lost database an error).
        for host in (self.mx1, self.mx2):
            trouble = postfix_trouble(host.postfix.log_text())
            check(not trouble, f"{host.name}'s Postfix logged trouble:\n" + "\n".join(trouble))
            trouble = re.findall(r"^.* (?:error|critical): .*$", host.grayling.log_text(),
                                 re.MULTILINE)
            check(not trouble, f"{host.name}'s grayling logged errors:\n" + "\n".join(trouble))


def main():
    args = argument_parser(__doc__.splitlines()[0]).parse_args()

    # Each variable keeps its meaning: GRAYLING_PG_REQUIRED asks for PostgreSQL, not Postfix.
    e2e_required = bool(os.environ.get("GRAYLING_E2E_REQUIRED"))
    missing = prerequisites_missing()
    if missing:
        return skip_or_fail(missing, e2e_required)
    missing = private_postgres.unavailable_reason()
    if missing:
        return skip_or_fail(missing, e2e_required or private_postgres.required())
    binary = grayling_binary(args)
    if binary is None:
        return 1

    arm_budget(OVERALL_BUDGET_S)
    workdir = make_workdir()
    log(f"work directory {workdir}")
    postgres = None
    hosts = []
    ok = False
    try:
        postgres = private_postgres.PrivatePostgres(os.path.join(workdir, "postgres"))
        postgres.start()
        postgres.create_database(DATABASE)
        log(f"PostgreSQL is up on 127.0.0.1:{postgres.port}, database {DATABASE}")
        stores = (postgres.uri(DATABASE, DATABASE),
                  "postgresql:" + postgres.keywords(DATABASE, DATABASE))
        for name, store in zip(("mx1", "mx2"), stores):
            hosts.append(Host(name, binary, workdir, args.delay, store))
            hosts[-1].grayling.start()
        for host in hosts:
            start_postfix(host.postfix, host.grayling)
        SharedStoreE2E(*hosts, postgres, args.delay).run()
        ok = True
    except Exception as e:  # noqa: BLE001 - any failure gets the logs and the cleanup
        report_failure(e)
    finally:
        disarm_budget()
        for host in hosts:
            host.postfix.stop()
        for host in hosts:
            status = host.grayling.stop()
            if ok and status not in (None, 0):
                print(f"FAIL: {host.name}'s grayling exit status {status}", flush=True)
                ok = False
        if not ok:
            for host in hosts:
                print(f"---- {host.name}: grayling log (tail) ----\n"
                      + tail(host.grayling.log_text()), flush=True)
                print(f"---- {host.name}: Postfix maillog (tail) ----\n"
                      + tail(host.postfix.log_text()), flush=True)
            if postgres is not None:
                print("---- PostgreSQL server log (tail) ----\n" + tail(postgres.log_text()),
                      flush=True)
        if postgres is not None:
            postgres.stop(remove=not args.keep)
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    log("PASS" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
