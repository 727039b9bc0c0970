"""The private MariaDB server of one driver root: initialised once, started on demand, shared by every site."""

from __future__ import annotations

import contextlib
import hashlib
import json
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymysql

from bbws.core.driver import DriverError
from bbws.core.files import CHILD_UMASK, file_lock, open_private, private_dir, write_private
from bbws.instances.local import mariadb_setup as setup
from bbws.instances.local import processes
from bbws.instances.local.databases import SiteDatabases
from bbws.instances.local.versions import Toolbox

_LONGEST_SOCKET = 100  # sun_path holds 108 bytes; MariaDB refuses longer paths
DB_UNAVAILABLE = "RUNTIME_DB_UNAVAILABLE"
WAIT_FOR_SERVER = 30.0  # seconds a caller waits for a server another thread (or the supervisor) is bringing up
_CONNECTION_LOST = frozenset({2002, 2003, 2006, 2013})  # can't connect / server gone / lost during a query


def unavailable(reason: str) -> DriverError:
    """The database went away or cannot be started now: the step fails and its job is retried."""
    return DriverError(reason, code=DB_UNAVAILABLE, retryable=True)


class MariaDB(SiteDatabases):
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
        # Guards the fields below only: nobody waits on a process or a socket while holding it.
        self._cond = threading.Condition()
        self._child: subprocess.Popen[bytes] | None = None
        self.port: int | None = None
        self._ready_pid = 0  # the server seen answering and secured; later calls skip the check
        self._starting = False  # one thread at a time brings a server up; the others wait on `_cond`
        self.wanted = False  # set by the first ensure_running: from then on the supervisor keeps a server up
        self.generation = 0  # changes whenever a server is seen dying or a new one is up
        self.backoff = processes.Backoff()
        self.last_failure: str | None = None  # why the last start failed; cleared when a server is up again

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def ensure_running(self, *, timeout: float = WAIT_FOR_SERVER) -> None:
        """Start the server unless a live one of this root answers (after a restart, a reboot or a crash).
        While another thread brings one up, or a restart waits out its backoff, wait up to `timeout` seconds
        and then fail with RUNTIME_DB_UNAVAILABLE (retryable) rather than hang."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self.wanted = True
            while not self._up():
                now = time.monotonic()
                if not self._starting and self.backoff.due(now):
                    self._starting = True
                    break
                # a wait that cannot end in a start (the next try is after the deadline) fails now, not at the end
                if now >= deadline or (not self._starting and self.backoff.next_try > deadline):
                    raise unavailable(f"MariaDB is not running and did not come back within {timeout:.0f} s; "
                                      "it is being restarted")
                self._cond.wait(min(deadline - now, max(self.backoff.next_try - now, 0.05)))
            else:
                return
        try:
            self._bring_up()
        except Exception as exc:
            with self._cond:
                self.backoff.failed(time.monotonic())
                self.last_failure = exc.reason if isinstance(exc, DriverError) else str(exc)
            if isinstance(exc, DriverError):
                raise
            raise unavailable(f"MariaDB could not be started: {exc}") from exc
        finally:
            with self._cond:
                self._starting = False
                self._cond.notify_all()

    def _bring_up(self) -> None:
        """Adopt this root's live server or start one. No thread lock is held while this waits, and the file lock
        shared with the other processes on this root (`bbws serve` and `bbws worker`) only while deciding who
        starts the server and recording it: every process then waits for it to answer outside that lock."""
        if not self._adopt():
            child = self._claim_start()
            if child is None:  # another process started one as we looked: wait for it, as for any live server
                if not self._adopt():
                    raise unavailable(f"MariaDB started by another process died: {processes.tail(self.log)}")
            else:
                self._wait_started(child)
        with self._cond:
            self.generation += 1
            self.backoff.started(time.monotonic())
            self.last_failure = None

    def _up(self) -> bool:
        """The server seen ready still runs (called with `_cond` held). A death is noticed here, whether the
        dead process was reaped already or is still a zombie of ours."""
        if self._ready_pid and self._is_ours(self._ready_pid):
            return True
        if self._ready_pid:
            self._ready_pid = 0
            self.generation += 1
            self.backoff.died(time.monotonic())
            self._cond.notify_all()
        return False

    def outage(self) -> str | None:
        """Why the server is known to be down now: it is wanted, not up, and its last start failed, so the
        supervisor is restarting it with backoff. None otherwise (up, never needed, or a first restart under way).
        Health reads answer with this at once instead of waiting for a start that is known to fail."""
        with self._cond:
            if not self.wanted or self._up() or self.last_failure is None:
                return None
            wait = max(self.backoff.next_try - time.monotonic(), 0.0)
            reason, failures = self.last_failure, self.backoff.failures
        return (f"MariaDB is down and restarting: its last start failed ({_first_line(reason)}); "
                f"{failures} failed start(s) in a row, next attempt in {wait:.0f} s")

    def lost(self, generation: int) -> bool:
        """True when the server a caller started using (`generation`, read after ensure_running) is gone."""
        with self._cond:
            return not self._up() or self.generation != generation

    def watch(self) -> None:
        """One supervisor tick: a server that died is restarted (however many times, with backoff)."""
        with self._cond:
            if not self.wanted or self._starting or self._up() or not self.backoff.due(time.monotonic()):
                return
        with contextlib.suppress(DriverError):  # counted in the backoff; the next due tick tries again
            self.ensure_running(timeout=0)

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
                if not self._is_ours(state["pid"]):
                    return False  # it was dying as we looked (killed, crashed): start a fresh one instead
                raise
            self._secure()
            self._ready_pid = state["pid"]
        return True

    @contextlib.contextmanager
    def _start_lock(self, *, timeout: float = WAIT_FOR_SERVER) -> Iterator[None]:
        """The file lock of this root's starts, across processes; held for short decisions only, so a process
        that cannot have it within `timeout` gives up (retryable) rather than wait without end."""
        with file_lock(self.dir / "start.lock", timeout=timeout) as held:
            if not held:
                raise unavailable("another process on this data dir holds MariaDB's start lock")
            yield

    def _claim_start(self) -> subprocess.Popen[bytes] | None:
        """Under the start lock: None when a server of this root runs (another process started it), else a new
        server process, recorded in the state file before the lock is let go (so the others adopt it)."""
        with self._start_lock():
            state = self._read_state()
            if state and self._is_ours(state["pid"]):
                return None
            return self._spawn(state)

    def _wait_started(self, child: subprocess.Popen[bytes]) -> None:
        """Wait (outside any lock) until the server just spawned answers, then secure it; stop it when it fails."""
        try:
            self._wait_ready(child.pid, deadline=time.monotonic() + 30)
            self._secure()
            self._ready_pid = child.pid
        except Exception:
            self._stop_pid(child.pid)
            raise

    def _spawn(self, state: dict[str, Any] | None) -> subprocess.Popen[bytes]:
        mariadbd = self.tools.require("mariadbd")
        private_dir(self.run)
        if not (self.data / "mysql").is_dir():
            # once per root, under the lock: until it is done there is no server to wait for
            setup.install(self.tools, self.dir, self.data)
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
            f"--user={setup.server_user()}",
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
                                     umask=CHILD_UMASK, env=setup.private_env())
        processes.adopt_child(child)  # reaped with the other children, whoever looks first
        self._child, self.port = child, port
        self._write_state({"pid": child.pid, "port": port, "datadir": str(self.data)})
        return child

    def _wait_ready(self, pid: int, *, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self._answers():
                return
            if not processes.alive(pid):
                raise unavailable(f"MariaDB did not start: {processes.tail(self.log)}")
            time.sleep(0.05)
        raise unavailable(f"MariaDB did not answer within its start timeout: {processes.tail(self.log)}")

    def _answers(self) -> bool:
        try:
            # read_timeout: a server that accepts but never answers (stopped, wedged) must not hold the start
            with self.connect(timeout=2, read_timeout=5) as conn, conn.cursor() as cur:
                cur.execute("SELECT 1")
                return True
        except pymysql.err.OperationalError:
            return False

    def _secure(self) -> None:
        """Once after install: only root@localhost (socket) stays, with a password kept in client.cnf (0600).
        install-db leaves password-less root accounts on 127.0.0.1 and ::1 that anyone on the machine could use."""
        if self.client_cnf.exists():
            return
        with self._start_lock():  # `bbws serve` and `bbws worker` may both see the fresh server: one secures it
            if not self.client_cnf.exists():
                setup.secure(self.client_cnf, self.socket, self._connect_as)

    def shutdown(self) -> None:
        """Stop the server of this root if it runs (`mariadb-admin shutdown`, then signals); not restarted."""
        with self._cond:
            self.wanted = False
            self._ready_pid = 0
            self._cond.notify_all()
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
    def _connect_as(
        self, secret: str, *, timeout: int, database: str | None = None, read_timeout: int | None = None
    ) -> pymysql.Connection:
        return pymysql.connect(
            unix_socket=str(self.socket),
            user="root",
            password=secret,
            database=database,
            autocommit=True,
            connect_timeout=timeout,
            read_timeout=read_timeout,
            charset="utf8mb4",
        )

    def connect(
        self, *, timeout: int = 10, database: str | None = None, read_timeout: int | None = None
    ) -> pymysql.Connection:
        """A root connection over the socket (the password from client.cnf once the server is secured)."""
        secret = setup.cnf_password(self.client_cnf) or setup.cnf_password(self.client_cnf.with_suffix(".new")) or ""
        return self._connect_as(secret, timeout=timeout, database=database, read_timeout=read_timeout)

    @contextlib.contextmanager
    def cursor(self) -> Iterator[Any]:
        self.ensure_running()
        try:
            with self.connect() as conn, conn.cursor() as cur:
                yield cur
        except pymysql.err.OperationalError as exc:
            if exc.args and exc.args[0] in _CONNECTION_LOST:
                raise unavailable(f"the connection to MariaDB was lost: {exc.args[-1]}") from exc
            raise

    def client_argv(self, tool: str) -> list[str]:
        """`mariadb` / `mariadb-dump` with root's credentials from client.cnf (never on the command line)."""
        self.ensure_running()
        return [self.tools.require(tool), f"--defaults-file={self.client_cnf}"]

    def _failed(self, reason: str) -> DriverError:
        """A client tool failed: retryable when the server died under it, else the tool's own reason."""
        with self._cond:
            up = self._up()
        return DriverError(reason) if up else unavailable(f"MariaDB went away: {reason}")


def _first_line(text: str, limit: int = 300) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "no reason given")
    return line if len(line) <= limit else line[: limit - 1] + "…"
