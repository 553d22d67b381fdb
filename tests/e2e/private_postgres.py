"""A throw-away PostgreSQL server for the end-to-end tests, the Python twin of
tests/support/postgres_server.{hpp,cpp}: a cluster of its own (initdb) in one directory,
listening on a free loopback port and on a unix socket in that directory, trust
authentication, driven through PostgreSQL's own programs (initdb, pg_ctl, psql).

    unavailable_reason()  what is missing to run a server here (None if nothing)
    required()            True if GRAYLING_PG_REQUIRED is set (and not "0"): a test without
                          PostgreSQL must then fail instead of skipping
    PrivatePostgres       the server: start(), uri(), keywords(), psql(), create_database(),
                          stop(), log_text()

Layout under `root` (created here; its parent must be searchable by the user postgres):
    data/        the cluster (initdb -D)
    run/         the unix socket's directory (-k)
    server.log   the server's log (pg_ctl -l)
    tools.log    initdb's and pg_ctl's own output

Quirks handled here:
  * initdb refuses to run as root, so as root the server's programs run as the user
    `postgres` through runuser(1), and own data/, run/ and server.log. psql needs no
    such thing: it connects as the superuser role over TCP with trust authentication.
  * PG* variables (PGHOST, PGOPTIONS, PGSERVICE...) are removed from the programs'
    environment, so that nothing from the machine changes where or how they connect.
  * The port is picked free and may be taken before the server binds it; the start is
    then retried on another port.
  * Cleanup must happen even if this process dies without running its finally clauses
    (SIGKILL from ctest): a watchdog, in a session of its own, waits for a pipe from this
    process to close, then stops the server and removes `root`. stop() triggers it early.
  * A stopped postmaster may linger as a zombie where init does not reap (containers);
    a zombie counts as gone.

Standard library only.
"""

import glob
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time

ADMIN = "grayling_admin"  # the superuser role the cluster is created with
START_ATTEMPTS = 5


class PostgresError(RuntimeError):
    pass


def required():
    value = os.environ.get("GRAYLING_PG_REQUIRED", "")
    return value not in ("", "0")


def _version_key(bindir):
    """(15, 4) for .../postgresql/15.4/bin, so that 10 sorts after 9.6."""
    version = os.path.basename(os.path.dirname(bindir))
    return tuple(int(part) for part in re.findall(r"\d+", version))


def _server_bindir():
    """The newest /usr/lib/postgresql/*/bin with initdb, else `pg_config --bindir`."""
    found = [d for d in glob.glob("/usr/lib/postgresql/*/bin")
             if os.access(os.path.join(d, "initdb"), os.X_OK)]
    if found:
        return max(found, key=_version_key)
    pg_config = shutil.which("pg_config")
    if not pg_config:
        return None
    try:
        bindir = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return bindir if os.access(os.path.join(bindir, "initdb"), os.X_OK) else None


def _find_tools():
    """({program: path}, None), or (None, what is missing)."""
    bindir = _server_bindir()
    if not bindir:
        return None, ("no PostgreSQL server programs (no /usr/lib/postgresql/*/bin/initdb, "
                      "no pg_config --bindir); apt-get install postgresql")
    tools = {name: os.path.join(bindir, name) for name in ("initdb", "pg_ctl", "postgres")}
    if not all(os.access(path, os.X_OK) for path in tools.values()):
        return None, f"{bindir} has initdb but not pg_ctl and postgres"
    psql = os.path.join(bindir, "psql")
    tools["psql"] = psql if os.access(psql, os.X_OK) else shutil.which("psql")
    if not tools["psql"]:
        return None, "no psql; apt-get install postgresql-client"
    if os.geteuid() == 0:
        search = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin" + os.pathsep + "/sbin"
        tools["runuser"] = shutil.which("runuser", path=search)
        if not tools["runuser"]:
            return None, "running as root, and no runuser (util-linux) to run initdb as a user"
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return None, "running as root, and no user postgres"
    return tools, None


def unavailable_reason():
    return _find_tools()[1]


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pid_alive(pid):
    """True if pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2:][:1] not in (b"Z", b"X")


def _environment():
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


def _read(path, start=0):
    try:
        with open(path, "r", errors="replace") as f:
            return f.read()[start:]
    except OSError:
        return ""


class PrivatePostgres:
    """A PostgreSQL server in `root`, superuser role ADMIN, on 127.0.0.1:port and a unix
    socket in socket_dir. start() before use; stop() is safe in any state."""

    def __init__(self, root):
        self.root = os.path.abspath(root)
        self.data_dir = os.path.join(self.root, "data")
        self.socket_dir = os.path.join(self.root, "run")
        self.server_log = os.path.join(self.root, "server.log")
        self.tools_log = os.path.join(self.root, "tools.log")
        self.port = None
        self._watchdog = None
        tools, missing = _find_tools()
        if missing:
            raise PostgresError(f"PostgreSQL is not available: {missing}")
        self.tools = tools

    # --- the programs -------------------------------------------------------------------

    def _as_server_user(self, argv):
        if os.geteuid() != 0:
            return argv
        return [self.tools["runuser"], "-u", "postgres", "--"] + argv

    def _pg_ctl(self, *args):
        return self._as_server_user([self.tools["pg_ctl"], "-D", self.data_dir, *args])

    def _run_logged(self, argv, timeout):
        """Runs argv with its output appended to tools.log; returns (exit status, that output).
        cwd "/": the server's user may not be allowed into ours."""
        mark = len(_read(self.tools_log))
        with open(self.tools_log, "ab") as out:
            try:
                status = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out,
                                        stderr=subprocess.STDOUT, cwd="/", env=_environment(),
                                        timeout=timeout).returncode
            except subprocess.TimeoutExpired:
                status = f"timed out after {timeout}s"
        return status, _read(self.tools_log, mark)

    # --- life cycle ---------------------------------------------------------------------

    def start(self):
        """Creates the cluster and starts the server on a free port (another one if that
        port is taken meanwhile). Raises PostgresError with the programs' output."""
        self._prepare_directories()
        self._start_watchdog()
        # --no-sync: the cluster is thrown away, and syncing it doubles the start-up time. The
        # server itself keeps fsync on, as a real one would.
        status, output = self._run_logged(self._as_server_user(
            [self.tools["initdb"], "-D", self.data_dir, "-U", ADMIN, "--auth=trust", "-E", "UTF8",
             "--locale=C", "--no-instructions", "--no-sync"]), timeout=120)
        if status != 0:
            raise PostgresError(f"initdb failed ({status}):\n{output}")
        for _ in range(START_ATTEMPTS):
            self.port = _free_port()
            if self._try_start():
                return
        raise PostgresError(f"no free port in {START_ATTEMPTS} attempts; server log:\n"
                            + self.log_text())

    def _prepare_directories(self):
        os.makedirs(self.root)
        os.chmod(self.root, 0o711)  # the server's user only passes through to its own
        os.mkdir(self.data_dir, 0o700)
        os.mkdir(self.socket_dir, 0o755)
        for path in (self.server_log, self.tools_log):
            open(path, "w").close()
        if os.geteuid() == 0:
            server_user = pwd.getpwnam("postgres")
            for path in (self.data_dir, self.socket_dir, self.server_log):
                os.chown(path, server_user.pw_uid, server_user.pw_gid)

    def _try_start(self):
        """pg_ctl start on self.port: True if up, False if the port was taken."""
        log_mark = len(self.log_text())
        options = (f"-p {self.port} -k {shlex.quote(self.socket_dir)} "
                   "-c listen_addresses=127.0.0.1")
        status, output = self._run_logged(
            self._pg_ctl("-l", self.server_log, "-w", "-t", "30", "-o", options, "start"),
            timeout=60)
        if status == 0:
            return True
        server_log = self.log_text()[log_mark:]
        if "could not bind" in server_log or "Address already in use" in server_log:
            return False
        raise PostgresError(f"pg_ctl start failed ({status}):\n{output}\nserver log:\n"
                            + server_log)

    def _start_watchdog(self):
        """A process of its own session that, once this object is stopped or this process is
        gone (the pipe's write end closes either way), stops the server and removes root;
        unless stop(remove=False) wrote "keep" into the pipe."""
        stop_server = " ".join(shlex.quote(word) for word in
                                self._pg_ctl("-w", "-t", "30", "-m", "immediate", "stop"))
        script = (f"IFS= read -r word; {stop_server} >/dev/null 2>&1; "
                  f'[ "$word" = keep ] || rm -rf -- {shlex.quote(self.root)}')
        read_end, write_end = os.pipe()  # not inherited by later children (PEP 446)
        try:
            process = subprocess.Popen(["/bin/sh", "-c", script], stdin=read_end,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                       cwd="/", env=_environment(), start_new_session=True)
        finally:
            os.close(read_end)
        self._watchdog = (process, write_end)

    def _postmaster_pid(self):
        try:
            with open(os.path.join(self.data_dir, "postmaster.pid")) as f:
                return int(f.readline())
        except (OSError, ValueError):
            return None

    def stop(self, remove=True):
        """Stops the server at once (pg_ctl stop -m immediate), SIGKILLs a postmaster that
        is still there, and removes root unless remove is False. Safe in any state."""
        if self._watchdog is None:
            return
        pid = self._postmaster_pid()
        if pid is not None:
            self._run_logged(self._pg_ctl("-w", "-t", "30", "-m", "immediate", "stop"),
                             timeout=60)
            deadline = time.monotonic() + 10
            while _pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _pid_alive(pid):
                os.kill(pid, signal.SIGKILL)  # its backends exit when it is gone
        process, write_end = self._watchdog
        self._watchdog = None
        try:
            if not remove:
                os.write(write_end, b"keep\n")
        finally:
            os.close(write_end)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    # --- use ----------------------------------------------------------------------------

    def uri(self, db, user=ADMIN):
        """A libpq URI for db as user, over TCP."""
        return f"postgresql://{user}@127.0.0.1:{self.port}/{db}"

    def keywords(self, db, user=ADMIN):
        """A libpq keyword string for db as user, over the unix socket."""
        return f"host={self.socket_dir} port={self.port} dbname={db} user={user}"

    def psql(self, sql, db="postgres"):
        """Runs sql (one or more statements) in db as ADMIN; returns psql's output, unaligned
        and tuples only (columns separated by '|'), less the final newline. Raises
        PostgresError with psql's errors."""
        return self._psql(db, [sql]).rstrip("\n")

    def _psql(self, db, commands):
        argv = [self.tools["psql"], "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                "-h", "127.0.0.1", "-p", str(self.port), "-U", ADMIN, "-d", db]
        for command in commands:
            argv += ["-c", command]  # each its own transaction
        try:
            done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  env=_environment(), timeout=60)
        except subprocess.TimeoutExpired:
            raise PostgresError(f"psql -d {db}: timed out") from None
        if done.returncode != 0:
            raise PostgresError(f"psql -d {db}: exit {done.returncode}: {done.stderr.strip()}")
        return done.stdout

    def create_database(self, name):
        """A fresh database `name` owned by a fresh LOGIN role `name`, which owns its public
        schema too, as the README's minimal setup has it; nobody else but ADMIN may connect."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name) or name in (ADMIN, "postgres") \
                or name.startswith("template"):
            raise ValueError(f"create_database: {name!r} is not a plain identifier of a test's own")
        self._psql("postgres", [f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
                                f"DROP ROLE IF EXISTS {name}", f"CREATE ROLE {name} LOGIN",
                                f"CREATE DATABASE {name} OWNER {name}",
                                f"REVOKE ALL ON DATABASE {name} FROM PUBLIC"])
        self._psql(name, [f"ALTER SCHEMA public OWNER TO {name}"])

    def log_text(self):
        return _read(self.server_log)
