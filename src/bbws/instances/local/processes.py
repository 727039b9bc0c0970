"""Process groups on this machine: start `php -S` in its own session, count its workers, stop the whole group."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bbws.core.files import CHILD_UMASK, open_private

_children: dict[int, subprocess.Popen[bytes]] = {}  # started by this process: reaped so they leave no zombies
_children_lock = threading.Lock()


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as php -S and mariadbd bind
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, pgid) from /proc, or None when the process is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[0], int(fields[1]), int(fields[2])


def alive(pid: int) -> bool:
    reap()
    stat = _stat(pid) if pid > 0 else None
    return stat is not None and stat[0] not in ("Z", "X")


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def group_members(pgid: int) -> list[tuple[int, int]]:
    """(pid, ppid) of the live processes in process group `pgid`."""
    members = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat and stat[2] == pgid and stat[0] not in ("Z", "X"):
                members.append((int(entry.name), stat[1]))
    return members


def tail(path: Path, limit: int = 600) -> str:
    try:
        with open(path, "rb") as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - limit))
            return log.read().decode(errors="replace").strip() or "(empty log)"
    except OSError:
        return "(no log)"


def restart_delay(failures: int, *, base: float = 0.5, cap: float = 10.0) -> float:
    """Seconds to wait before restarting a process that died or failed to start `failures` times in a row:
    at once the first time (a crash is usually a one-off), then base, 2*base, ... up to `cap`."""
    if failures <= 0:
        return 0.0
    return float(min(cap, base * 2 ** min(failures - 1, 30)))


@dataclass
class Backoff:
    """When a supervised process may be restarted next. A process that ran `stable` seconds since its last
    start is forgiven its earlier failures."""

    stable: float = 30.0
    failures: int = 0
    next_try: float = 0.0
    started_at: float = 0.0

    def due(self, now: float) -> bool:
        return now >= self.next_try

    def died(self, now: float) -> None:
        if self.started_at and now - self.started_at >= self.stable:
            self.failures = 0
        self.failures += 1
        self.next_try = now + restart_delay(self.failures - 1)
        self.started_at = 0.0

    def started(self, now: float) -> None:
        self.started_at = now

    def failed(self, now: float) -> None:
        self.failures += 1
        self.next_try = now + restart_delay(self.failures - 1)


def adopt_child(child: subprocess.Popen[bytes]) -> None:
    """A child started elsewhere in this process, reaped with the others."""
    with _children_lock:
        _children[child.pid] = child


def reap() -> None:
    with _children_lock:
        for pid, child in list(_children.items()):
            if child.poll() is not None:
                del _children[pid]


def spawn(argv: Sequence[str], *, env: Mapping[str, str], log: Path, cwd: Path | None = None) -> int:
    """Start `argv` as the leader of a new session (so one killpg stops it and every worker it forks)."""
    with open_private(log, "ab") as out:
        child = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=dict(env),
                                 cwd=cwd, start_new_session=True, umask=CHILD_UMASK)
    with _children_lock:
        _children[child.pid] = child
    return child.pid


def stop_group(pgid: int, *, grace: float = 5.0, is_alive: Callable[[], bool] | None = None) -> None:
    """SIGTERM to the whole group, SIGKILL to what is left after `grace` seconds; returns once it is gone."""
    still = is_alive or (lambda: bool(group_members(pgid)) or alive(pgid))
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        if not still():
            break
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)
        deadline = time.monotonic() + wait
        while still() and time.monotonic() < deadline:
            time.sleep(0.02)
    with _children_lock:
        child = _children.pop(pgid, None)
    if child is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=5)


def http_status(port: int, path: str = "/", *, timeout: float = 3.0, host: str | None = None) -> int | None:
    """The status of GET http://127.0.0.1:port/path, or None when nothing answers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": host or f"127.0.0.1:{port}", "Connection": "close"})
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def wait_port_free(port: int, *, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not port_is_free(port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# Each site's core is its own set of paths (hard links), so opcache compiles WordPress once per site: the defaults
# (128 MB, 10,000 files) fill up after a handful of sites, and from then on pages run uncached, ten times slower.
# The shared memory is reserved, not used, until scripts are compiled.
# A code change made through the platform (a plugin or theme update, a restore) is served on the next request:
# every request compares each script's mtime with the cached one (`revalidate_freq=0`; the default checks every 2 s,
# which served the old version right after an update). Seconds are enough because a script is cached only once it
# is `file_update_protection` seconds old: a file written later has a later mtime (unpacking never keeps a zip's
# dates). The workers of one `php -S` fork after opcache starts, so they share one cache.
OPCACHE = ["-d", "opcache.enable_cli=1", "-d", "opcache.memory_consumption=512", "-d",
           "opcache.max_accelerated_files=100000", "-d", "opcache.interned_strings_buffer=32",
           "-d", "opcache.validate_timestamps=1", "-d", "opcache.revalidate_freq=0",
           "-d", "opcache.file_update_protection=2"]


@dataclass(frozen=True)
class PhpServer:
    """One `php -S` process group serving an instance's document root through the router."""

    binary: str
    port: int
    docroot: Path
    router: Path
    workers: int
    flags: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    def argv(self) -> list[str]:
        return [self.binary, *OPCACHE, *self.flags, "-S", f"127.0.0.1:{self.port}", "-t", str(self.docroot),
                str(self.router)]

    def environment(self) -> dict[str, str]:
        env = {"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8", **self.env}
        if self.workers > 1:
            env["PHP_CLI_SERVER_WORKERS"] = str(self.workers)  # with 1, PHP warns and serves from the master
        return env


def php_matches(pid: int, port: int) -> bool:
    """The live process `pid` is a `php -S` on `port` (a recorded pid may belong to anything after a reboot)."""
    line = cmdline(pid)
    return alive(pid) and " -S " in f" {line} " and f"127.0.0.1:{port}" in line


def running_workers(pgid: int) -> int:
    """Workers serving in the group: the children of the master, or the master itself when it does not fork."""
    members = group_members(pgid)
    if not any(pid == pgid for pid, _ in members):
        return 0
    children = [pid for pid, ppid in members if ppid == pgid]
    return len(children) or 1
