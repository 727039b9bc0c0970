"""The private MariaDB server of one driver root: initialised once, started on demand, shared by every site."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymysql

from bbws.core.files import CHILD_UMASK, open_private, private_dir, write_private
from bbws.instances.driver import DriverError
from bbws.instances.local import config, naming, processes
from bbws.instances.local.versions import Toolbox

_LONGEST_SOCKET = 100  # sun_path holds 108 bytes; MariaDB refuses longer paths


class MariaDB:
    """`mariadbd` on a unix socket (and 127.0.0.1:port) over `root/mariadb/data`; never the system service."""

    def __init__(self, *, root: Path, tools: Toolbox, port: int | None = None) -> None:
        self.dir = root / "mariadb"
        self.data = self.dir / "data"
        self.run = self.dir / "run"
        self.log = self.dir / "mariadb.err"
        self.state_file = self.dir / "server.json"
        self.client_cnf = self.dir / "client.cnf"
        self.tools = tools
        self.wanted_port = port
        socket = self.run / "mysql.sock"
        if len(str(socket)) > _LONGEST_SOCKET:
            digest = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
            socket = Path(tempfile.gettempdir()) / f"bbws-mariadb-{digest}.sock"
        self.socket = socket
        self._lock = threading.Lock()
        self._child: subprocess.Popen[bytes] | None = None
        self.port: int | None = None
        self._ready_pid = 0  # the server seen answering and secured; later calls skip the check

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def ensure_running(self) -> None:
        """Start the server unless a live one of this root answers (after a restart, a reboot or a crash)."""
        with self._lock:
            if self._adopt():
                return
            # `bbws serve` and `bbws worker` share the root: one of them starts the server, the other adopts it.
            private_dir(self.dir)
            with open_private(self.dir / "start.lock", "a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    if not self._adopt():
                        self._start(self._read_state())
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)

    def _adopt(self) -> bool:
        """True when this root's server runs (waiting for it to answer if it was just started)."""
        state = self._read_state()
        if not state or not self._is_ours(state["pid"]):
            return False
        self.port = state["port"]
        if state["pid"] != self._ready_pid:
            try:
                self._wait_ready(state["pid"], deadline=time.monotonic() + 20)
            except DriverError:
                if not processes.alive(state["pid"]):
                    return False  # it was dying as we looked (killed, crashed): start a fresh one instead
                raise
            self._secure()
            self._ready_pid = state["pid"]
        return True

    def _start(self, state: dict[str, Any] | None) -> None:
        mariadbd = self.tools.require("mariadbd")
        private_dir(self.run)
        if not (self.data / "mysql").is_dir():
            self._install()
        port = self.wanted_port
        if port is None:
            recorded = state["port"] if state else None
            port = recorded if recorded and processes.port_is_free(recorded) else processes.free_port()
        elif not processes.port_is_free(port):
            raise DriverError(f"the MariaDB port {port} is in use by another program", retryable=True)
        with contextlib.suppress(FileNotFoundError):
            self.socket.unlink()  # left by a server that died; mariadbd refuses to start beside it otherwise
        argv = [
            mariadbd,
            "--no-defaults",
            f"--datadir={self.data}",
            f"--socket={self.socket}",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            f"--pid-file={self.run / 'mariadbd.pid'}",
            f"--user={_user()}",
            f"--log-error={self.log}",
            "--skip-name-resolve",
            "--innodb-log-file-size=8M",
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_unicode_ci",
            # Commits reach the OS at once and the disk within a second: a crash of mariadbd loses nothing, only a
            # crash of the machine can lose the last second. wp_install's hundreds of commits then skip an fsync each.
            "--innodb-flush-log-at-trx-commit=2",
        ]
        with open_private(self.dir / "mariadbd.out", "ab") as out:
            child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True,
                                     umask=CHILD_UMASK, env=_private_env())
        self._child, self.port = child, port
        self._write_state({"pid": child.pid, "port": port, "datadir": str(self.data)})
        try:
            self._wait_ready(child.pid, deadline=time.monotonic() + 30)
            self._secure()
            self._ready_pid = child.pid
        except Exception:
            self._stop_pid(child.pid)
            raise

    def _install(self) -> None:
        install = self.tools.require("mariadb-install-db")
        staging = self.dir / "data.new"
        shutil.rmtree(staging, ignore_errors=True)
        private_dir(self.data.parent)
        done = subprocess.run(
            [
                install,
                "--no-defaults",
                f"--datadir={staging}",
                f"--user={_user()}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--innodb-log-file-size=8M",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            stdin=subprocess.DEVNULL,
            umask=CHILD_UMASK,
            env=_private_env(),
        )
        if done.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            raise DriverError(f"mariadb-install-db failed: {(done.stderr or done.stdout).strip()[-500:]}")
        shutil.rmtree(self.data, ignore_errors=True)
        staging.rename(self.data)

    def _wait_ready(self, pid: int, *, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self._answers():
                return
            if not processes.alive(pid):
                raise DriverError(f"MariaDB did not start: {processes.tail(self.log)}")
            time.sleep(0.05)
        raise DriverError(
            f"MariaDB did not answer within its start timeout: {processes.tail(self.log)}", retryable=True
        )

    def _answers(self) -> bool:
        try:
            with self.connect(timeout=2) as conn, conn.cursor() as cur:
                cur.execute("SELECT 1")
                return True
        except pymysql.err.OperationalError:
            return False

    def _secure(self) -> None:
        """Once after install: only root@localhost (socket) stays, with a password kept in client.cnf (0600).
        install-db leaves password-less root accounts on 127.0.0.1 and ::1 that anyone on the machine could use."""
        if self.client_cnf.exists():
            return
        pending = self.client_cnf.with_suffix(".new")
        secret = self._cnf_password(pending) or config.password(32)
        self._write_cnf(pending, secret)
        try:
            conn = self._connect_as(secret, timeout=5)
        except pymysql.err.OperationalError:
            conn = self._connect_as("", timeout=5)
        with conn, conn.cursor() as cur:
            cur.execute("SELECT User, Host FROM mysql.user WHERE User = '' OR (User = 'root' AND Host <> 'localhost')")
            for user, host in cur.fetchall():
                cur.execute("DROP USER IF EXISTS %s@%s", (user, host))
            cur.execute("ALTER USER 'root'@'localhost' IDENTIFIED BY %s", (secret,))
            cur.execute("FLUSH PRIVILEGES")
        pending.rename(self.client_cnf)

    def _write_cnf(self, path: Path, secret: str) -> None:
        with open_private(path, "w") as out:
            out.write(f"[client]\nuser=root\npassword={secret}\nsocket={self.socket}\n")

    @staticmethod
    def _cnf_password(path: Path) -> str | None:
        try:
            for line in path.read_text().splitlines():
                if line.startswith("password="):
                    return line.partition("=")[2]
        except OSError:
            return None
        return None

    def shutdown(self) -> None:
        """Stop the server of this root if it runs (`mariadb-admin shutdown`, then signals)."""
        with self._lock:
            state = self._read_state()
            if not state or not self._is_ours(state["pid"]):
                return
            admin = self.tools.which("mariadb-admin")
            if admin and self.client_cnf.exists():
                subprocess.run(
                    [admin, f"--defaults-file={self.client_cnf}", "shutdown"],
                    capture_output=True,
                    timeout=30,
                    check=False,
                    stdin=subprocess.DEVNULL,
                )
            self._stop_pid(state["pid"])

    def running_pid(self) -> int | None:
        """The pid of this root's server when it runs (started by anyone), else None."""
        state = self._read_state()
        return state["pid"] if state and self._is_ours(state["pid"]) else None

    def _stop_pid(self, pid: int) -> None:
        processes.stop_group(pid, grace=15.0, is_alive=lambda: self._is_ours(pid))
        if self._child is not None and self._child.pid == pid:
            self._child.wait(timeout=5)
            self._child = None

    def _is_ours(self, pid: int) -> bool:
        if self._child is not None and self._child.pid == pid and self._child.poll() is not None:
            return False  # our own child exited: its zombie must not count as a live server
        return processes.alive(pid) and f"--datadir={self.data}" in processes.cmdline(pid)

    def _read_state(self) -> dict[str, Any] | None:
        try:
            state: dict[str, Any] = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return None
        return state if isinstance(state.get("pid"), int) and isinstance(state.get("port"), int) else None

    def _write_state(self, state: dict[str, Any]) -> None:
        write_private(self.state_file, json.dumps(state))

    # -- clients -----------------------------------------------------------------------------------------------
    def _connect_as(self, secret: str, *, timeout: int, database: str | None = None) -> pymysql.Connection:
        return pymysql.connect(
            unix_socket=str(self.socket),
            user="root",
            password=secret,
            database=database,
            autocommit=True,
            connect_timeout=timeout,
            charset="utf8mb4",
        )

    def connect(self, *, timeout: int = 10, database: str | None = None) -> pymysql.Connection:
        """A root connection over the socket (the password from client.cnf once the server is secured)."""
        secret = self._cnf_password(self.client_cnf) or self._cnf_password(self.client_cnf.with_suffix(".new")) or ""
        return self._connect_as(secret, timeout=timeout, database=database)

    @contextlib.contextmanager
    def cursor(self) -> Iterator[Any]:
        self.ensure_running()
        with self.connect() as conn, conn.cursor() as cur:
            yield cur

    def client_argv(self, tool: str) -> list[str]:
        """`mariadb` / `mariadb-dump` with root's credentials from client.cnf (never on the command line)."""
        self.ensure_running()
        return [self.tools.require(tool), f"--defaults-file={self.client_cnf}"]

    # -- site databases ----------------------------------------------------------------------------------------
    def create_site_database(self, database: str, secret: str) -> None:
        """Database `database`, user `database`@localhost with `secret`, allowed on that database only."""
        name = naming.quote_identifier(database)
        with self.cursor() as cur:
            cur.execute(f"CREATE DATABASE IF NOT EXISTS {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            cur.execute("CREATE USER IF NOT EXISTS %s@'localhost' IDENTIFIED BY %s", (database, secret))
            cur.execute("ALTER USER %s@'localhost' IDENTIFIED BY %s", (database, secret))
            cur.execute(f"GRANT ALL PRIVILEGES ON {naming.grant_pattern(database)}.* TO %s@'localhost'", (database,))

    def recreate_database(self, database: str) -> None:
        name = naming.quote_identifier(database)
        with self.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name}")
            cur.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")

    def drop_site_database(self, database: str) -> None:
        with self.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {naming.quote_identifier(database)}")
            cur.execute("DROP USER IF EXISTS %s@'localhost'", (database,))

    def database_exists(self, database: str) -> bool:
        with self.cursor() as cur:
            cur.execute("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (database,))
            return cur.fetchone() is not None

    def _dump_argv(self, database: str) -> list[str]:
        return [*self.client_argv("mariadb-dump"), "--single-transaction", "--hex-blob", "--skip-lock-tables",
                "--default-character-set=utf8mb4", "--routines", "--triggers", database]

    def dump(self, database: str, out: Path) -> None:
        argv = self._dump_argv(database)
        with open_private(out) as sink:  # a dump holds password hashes and every post
            done = subprocess.run(
                argv, stdout=sink, stderr=subprocess.PIPE, timeout=600, check=False, stdin=subprocess.DEVNULL
            )
        if done.returncode != 0:
            raise DriverError(f"mariadb-dump of {database} failed: {done.stderr.decode(errors='replace')[-300:]}")

    def load(self, database: str, sql: Path) -> None:
        argv = [*self.client_argv("mariadb"), "--default-character-set=utf8mb4", database]
        with open(sql, "rb") as source:
            done = subprocess.run(argv, stdin=source, capture_output=True, timeout=600, check=False)
        if done.returncode != 0:
            raise DriverError(f"loading the dump into {database} failed: {done.stderr.decode(errors='replace')[-300:]}")

    def copy_database(self, source: str, target: str) -> None:
        """`mariadb-dump source | mariadb target`, streamed (no file in between)."""
        dump = subprocess.Popen(
            self._dump_argv(source),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        assert dump.stdout is not None
        load = subprocess.run(
            [*self.client_argv("mariadb"), "--default-character-set=utf8mb4", target],
            stdin=dump.stdout,
            capture_output=True,
            timeout=600,
            check=False,
        )
        dump.stdout.close()
        dump_error = dump.stderr.read() if dump.stderr else b""
        if dump.wait(timeout=600) != 0 or load.returncode != 0:
            said = (dump_error or load.stderr).decode(errors="replace")[-300:]
            raise DriverError(f"copying database {source} to {target} failed: {said}")


def _private_env() -> dict[str, str]:
    """mariadbd sets its own umask from these (default 0660 files): owner-only, like the rest of the data dir."""
    return {**os.environ, "UMASK": "0600", "UMASK_DIR": "0700"}


def _user() -> str:
    """The account mariadbd runs as: ours (root needs saying so, or mariadbd refuses to start)."""
    return pwd.getpwuid(os.getuid()).pw_name
