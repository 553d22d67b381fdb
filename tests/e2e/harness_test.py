"""Unit tests of the end-to-end harness's own judgement: which Postfix log lines are trouble.

A harness that fails CI on a harmless warning about the machine makes work not land; one
that ignores the policy service's trouble passes a broken grayling. Both are tested here,
without Postfix, on log lines as Postfix writes them.
"""

import os
import sys
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_harness import postfix_trouble  # noqa: E402

PREFIX = "2026-12-07T21:14:02.112233+00:00 host postfix-grayling-e2e"


class PostfixTrouble(unittest.TestCase):
    def test_clock_skew_of_the_machine_is_not_trouble(self):
        # Seen on a fresh clone in CI: cleanup's check of the queue file's time stamp.
        for seconds in ("1 seconds", "2 seconds", "1 second"):
            log = f"{PREFIX}/cleanup[4242]: warning: file system clock is {seconds} ahead of local clock\n"
            self.assertEqual(postfix_trouble(log), [], seconds)

    def test_a_host_without_ipv6_is_not_trouble(self):
        log = (f"{PREFIX}/postfix-script[17]: warning: inet_protocols: disabling IPv6 name/address "
               "support: Address family not supported by protocol\n")
        self.assertEqual(postfix_trouble(log), [])

    def test_policy_service_trouble_is_trouble(self):
        lines = [
            f"{PREFIX}/smtpd[99]: warning: problem talking to server 127.0.0.1:10023: Connection refused",
            f"{PREFIX}/smtpd[99]: warning: timeout on 127.0.0.1:10023 while reading input attribute data",
            f"{PREFIX}/smtpd[99]: warning: private/policy: malformed response",
            f"{PREFIX}/smtpd[99]: fatal: open /etc/postfix/main.cf: No such file or directory",
            f"{PREFIX}/master[1]: panic: myfree: corrupt or unallocated memory block",
            f"{PREFIX}/cleanup[7]: error: open database /etc/aliases.db: No such file or directory",
        ]
        log = "\n".join(lines) + "\n"
        self.assertEqual(postfix_trouble(log), lines)

    def test_only_the_known_warnings_are_dropped_from_a_mixed_log(self):
        kept = f"{PREFIX}/smtpd[99]: warning: problem talking to server inet:127.0.0.1:10023"
        log = "\n".join([
            f"{PREFIX}/smtpd[99]: connect from localhost[127.0.0.1]",
            f"{PREFIX}/cleanup[4242]: warning: file system clock is 1 seconds ahead of local clock",
            kept,
            f"{PREFIX}/smtpd[99]: NOQUEUE: reject: RCPT from mail.example.net[192.0.2.7]: 450 4.2.0",
        ]) + "\n"
        self.assertEqual(postfix_trouble(log), [kept])

    def test_a_clock_warning_about_something_else_is_still_trouble(self):
        line = f"{PREFIX}/master[1]: warning: clock is 3 seconds behind: time warp"
        self.assertEqual(postfix_trouble(line + "\n"), [line])


if __name__ == "__main__":
    unittest.main()
