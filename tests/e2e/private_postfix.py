"""A throw-away Postfix instance for the end-to-end tests: everything under one directory.

Layout under `root` (a fresh temporary directory):
    conf/      config_directory: main.cf and master.cf, written by this module
    queue/     queue_directory; Postfix's post-install creates the subdirectories on start
    data/      data_directory (master.lock and friends), owned by mail_owner
    maillog    maillog_file, written by postlogd

How a non-default config directory is accepted (without touching the system's Postfix):
`postfix -c DIR start` is the documented way to run a second instance (postfix(1), "-c
config_dir ... distinguish between multiple Postfix instances on the same host"). postfix(1)
exports MAIL_CONFIG=DIR to postfix-script, master(8) and, through master, every daemon, so
all of them read our main.cf. postfix(1) is reserved for the superuser, and root may name any
config directory. The alternate_config_directories list in the *default* main.cf only
governs the set-gid commands (postdrop, postqueue, sendmail -C) run by other users; we never
run them (mail goes in over SMTP), so the default main.cf is neither read nor needed: a
Debian install with debconf "No configuration" has none, and this works there.
postfix-script looks at the default main.cf only for multi_instance_directories, and only if
it exists. We never use postmulti, which would require registering the instance there.

Quirks handled here:
  * data_directory must exist and belong to mail_owner (post-install does not create it and
    master(8) cannot create master.lock otherwise).
  * maillog_file must start with one of maillog_file_prefixes (default "/var, /dev/stdout"),
    so the prefix is set to our own directory; postlogd needs the "postlog" unix-dgram
    service in master.cf. With maillog_file set, postfix(1) and postfix-script write their
    own messages to that file too (not to stderr, which is not a tty here), so failures are
    diagnosed from the maillog tail.
  * No chroot (the 5th master.cf column is "n" everywhere): a chrooted smtpd would need
    copies of system files inside the queue directory, and could not reach a policy socket
    outside it.
  * smtpd needs the proxymap service for the default local_recipient_maps
    (proxy:unix:passwd.byname); we have no local domains, so the map is emptied, and
    proxymap is in master.cf anyway in case some other default needs it.
  * The directories leading to the policy service socket (and this instance) must be
    searchable by mail_owner, since smtpd runs as that user: the caller makes the
    temporary root 0755.
  * `postfix stop` gives master 5 s and then `kill -9`s its process group; we additionally
    wait for the master pid to go and, as a last resort, SIGKILL that process group
    ourselves (master runs as a session leader, so its group is exactly this instance).
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time

# The instance's services. Columns: service type private unpriv chroot wakeup maxproc command.
# chroot is "n" everywhere; see the module comment.
_MASTER_CF_SERVICES = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


class PostfixError(RuntimeError):
    pass


def find_postfix_command(name):
    """The path of a Postfix command (postfix, postconf), or None. /usr/sbin is often not in
    a non-root PATH, so it is searched explicitly."""
    path = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin" + os.pathsep + "/usr/local/sbin"
    return shutil.which(name, path=path)


def _pid_alive(pid):
    """True if pid exists and is not a zombie (a reaped or zombie master has released its
    locks and sockets; in containers whose init does not reap, zombies linger)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    # pid (comm) STATE ...; comm may contain spaces or parentheses, so split at the last ')'.
    state = stat[stat.rfind(b")") + 2:][:1]
    return state not in (b"Z", b"X")


def _group_members(pgid):
    """Live pids whose process group is pgid."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        # fields: state ppid pgrp ...
        if len(fields) >= 3 and int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            members.append(int(entry))
    return members


class PrivatePostfix:
    """A Postfix instance in `root` whose smtpd listens on 127.0.0.1:smtpd_port and asks the
    policy service `policy_endpoint` ("inet:127.0.0.1:PORT" or "unix:/abs/path") at RCPT."""

    def __init__(self, root, relay_domain="example.org"):
        self.root = os.path.abspath(root)
        self.conf_dir = os.path.join(self.root, "conf")
        self.queue_dir = os.path.join(self.root, "queue")
        self.data_dir = os.path.join(self.root, "data")
        self.maillog = os.path.join(self.root, "maillog")
        self.relay_domain = relay_domain
        self.smtpd_port = None
        self.postfix = find_postfix_command("postfix")
        self.postconf = find_postfix_command("postconf")
        if not self.postfix or not self.postconf:
            raise PostfixError("postfix/postconf not found (install Debian's postfix package)")
        self.mail_owner = self._postconf_default("mail_owner")
        self._started = False

    def _postconf_default(self, name):
        out = subprocess.run([self.postconf, "-dh", name], check=True, capture_output=True,
                             text=True, timeout=30).stdout
        return out.strip()

    def configure(self, smtpd_port, policy_endpoint):
        """(Re)writes main.cf and master.cf; call before start()."""
        self.smtpd_port = smtpd_port
        owner = pwd.getpwnam(self.mail_owner)
        for d in (self.conf_dir, self.queue_dir, self.data_dir):
            os.makedirs(d, mode=0o755, exist_ok=True)
        os.chmod(self.data_dir, 0o700)
        os.chown(self.data_dir, owner.pw_uid, owner.pw_gid)

        main_cf = f"""\
# Written by the grayling end-to-end test; see private_postfix.py.
compatibility_level = 3.6
queue_directory = {self.queue_dir}
data_directory = {self.data_dir}
maillog_file = {self.maillog}
maillog_file_prefixes = {self.root}

myhostname = mx.grayling-e2e.test
mydomain = grayling-e2e.test
myorigin = $myhostname
# Loopback only; the smtpd service itself is bound to 127.0.0.1 in master.cf. The IPv6
# scenarios present IPv6 clients with XCLIENT over this IPv4 connection; smtpd accepts
# "XCLIENT ADDR=IPV6:..." only when IPv6 is among inet_protocols (with "ipv4" alone it
# answers "501 5.5.4 Bad ADDR syntax"), so both are enabled, though nothing listens on ::1.
inet_interfaces = 127.0.0.1
inet_protocols = ipv4, ipv6

# No local delivery at all; {self.relay_domain} is the only domain we accept, and everything
# goes to the discard transport, so no message leaves this instance.
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
relay_domains = {self.relay_domain}
relay_recipient_maps =
relay_transport = discard
default_transport = discard
local_transport = discard
fast_flush_domains =

# No network lookups.
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
smtp_host_lookup = native
lmtp_host_lookup = native
smtpd_peername_lookup = no
biff = no

# The test client may pretend to be any client (XCLIENT ADDR=... NAME=...).
smtpd_authorized_xclient_hosts = 127.0.0.0/8
smtpd_banner = $myhostname ESMTP grayling-e2e
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = reject_unauth_destination, check_policy_service {policy_endpoint}
# smtpd_policy_service_default_action stays at its default (451 4.3.5): an unreachable
# policy service shows up as a temporary failure, never as acceptance.

# Log the X-Greylist header a policy service may PREPEND, so that tests can see it.
header_checks = regexp:{self.conf_dir}/header_checks
"""
        master_cf = (f"# Written by the grayling end-to-end test; see private_postfix.py.\n"
                     f"127.0.0.1:{smtpd_port} inet n - n - - smtpd\n" + _MASTER_CF_SERVICES)
        header_checks = "/^X-Greylist:/ INFO\n"
        for name, text in (("main.cf", main_cf), ("master.cf", master_cf),
                           ("header_checks", header_checks)):
            path = os.path.join(self.conf_dir, name)
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, 0o644)

    def _run_postfix(self, command, timeout):
        return subprocess.run([self.postfix, "-c", self.conf_dir, command], capture_output=True,
                              text=True, timeout=timeout)

    def master_pid(self):
        try:
            with open(os.path.join(self.queue_dir, "pid", "master.pid")) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def start(self, timeout=60):
        """Starts the instance and waits until smtpd answers with its 220 banner."""
        deadline = time.monotonic() + timeout
        self._started = True  # from here on, stop() has something to do
        result = self._run_postfix("start", timeout=timeout)
        if result.returncode != 0:
            raise PostfixError(f"postfix start failed (exit {result.returncode}): "
                               f"{result.stdout}{result.stderr}".strip())
        self.wait_for_banner(deadline)

    def wait_for_banner(self, deadline):
        last_error = None
        while time.monotonic() < deadline:
            pid = self.master_pid()
            if pid is not None and not _pid_alive(pid):
                raise PostfixError("the Postfix master exited during startup")
            try:
                with socket.create_connection(("127.0.0.1", self.smtpd_port), timeout=5) as s:
                    s.settimeout(max(0.5, min(10.0, deadline - time.monotonic())))
                    banner = s.makefile("rb").readline()
                    if banner.startswith(b"220"):
                        s.sendall(b"QUIT\r\n")
                        return
                    last_error = f"unexpected banner {banner!r}"
            except OSError as e:
                last_error = str(e)
            time.sleep(0.1)
        raise PostfixError(f"smtpd on 127.0.0.1:{self.smtpd_port} did not greet in time "
                           f"({last_error})")

    def stop(self, timeout=20):
        """Stops the instance; safe to call in any state, any number of times."""
        if not self._started:
            return
        self._started = False
        pid = self.master_pid()
        try:
            # postfix-script stop: SIGTERM to master, up to 5 s, then kill -9 of its group.
            self._run_postfix("stop", timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        if pid is None:
            return
        deadline = time.monotonic() + 15
        while _pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        # Master is a session leader (setsid), so its process group is this instance alone.
        if _pid_alive(pid) or _group_members(pid):
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def log_text(self):
        try:
            with open(self.maillog, "r", errors="replace") as f:
                return f.read()
        except OSError:
            return ""
