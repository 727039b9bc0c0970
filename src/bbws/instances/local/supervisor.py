"""The runtime supervisor: one thread that keeps what the local driver started running.

Every tick it reaps the children of this process (no zombies), restarts MariaDB when it died (however many times,
with backoff) and restarts the PHP group of every instance this driver serves. Each check only takes a lock to read
or change state; a restart waits on its process outside any lock, so a slow or dead process never blocks the
threads that serve requests and run jobs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bbws.core.driver import DriverError, InstanceSpec
from bbws.core.files import file_lock
from bbws.instances.local import processes
from bbws.instances.local.layout import InstanceFiles
from bbws.instances.local.locks import SharedLock

log = logging.getLogger("bbws.runtime")

TICK = 0.25  # seconds between checks: a dead server is noticed within this, then restarted per its backoff
STUCK_AFTER = 120.0  # a tick that has not finished for this long is reported (a check hangs)
WATCH_EVERY = 5.0  # seconds between the watchdog's looks at the supervisor thread


class Supervisor:
    def __init__(
        self, checks: list[Callable[[], None]], *, tick: float = TICK, watch_every: float = WATCH_EVERY
    ) -> None:
        self.checks = checks
        self.tick, self.watch_every = tick, watch_every
        self._stop = threading.Event()  # the current thread's: a replaced thread keeps its own, set
        self._guard = threading.Lock()
        self._thread: threading.Thread | None = None
        self._watchdog: threading.Thread | None = None
        self._unwatched = threading.Event()  # set by stop(): the watchdog ends
        self.replaced = 0  # stuck threads replaced
        self.last_tick = 0.0  # monotonic time the last round of checks ended (or the thread started)

    def start(self) -> None:
        """Start the thread unless it runs (called whenever the driver needs MariaDB). A thread stuck in a check
        is the watchdog's case: it is told to stop whenever it gets out, and a fresh thread takes over now."""
        with self._guard:
            if self._thread is not None and self._thread.is_alive():
                if not self.stuck():
                    return
                log.error("runtime supervisor stuck; starting a new one", extra={"stuckFor": self.stuck_for()})
                self._stop.set()
                self.replaced += 1
            self._stop = threading.Event()
            self.last_tick = time.monotonic()
            self._thread = threading.Thread(target=self._run, args=(self._stop,), name="bbws-runtime-supervisor",
                                            daemon=True)
            self._thread.start()
            if self._watchdog is None or not self._watchdog.is_alive() or self._unwatched.is_set():
                self._unwatched = threading.Event()
                self._watchdog = threading.Thread(target=self._watch, args=(self._unwatched,),
                                                  name="bbws-runtime-watchdog", daemon=True)
                self._watchdog.start()

    def _watch(self, unwatched: threading.Event) -> None:
        """On a timer, not only when the driver next needs MariaDB: a stuck supervisor is replaced within
        STUCK_AFTER + watch_every. It only reads a time and takes `_guard` briefly, so it cannot get stuck itself."""
        while not unwatched.wait(self.watch_every):
            try:
                if self.stuck():
                    self.start()
            except Exception:  # a thread that cannot be started now is tried again on the next look
                log.exception("runtime supervisor watchdog failed")

    def stop(self) -> None:
        with self._guard:
            thread, self._thread = self._thread, None
            self._unwatched.set()
        self._stop.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def stuck_for(self) -> float:
        return time.monotonic() - self.last_tick if self.running else 0.0

    def stuck(self) -> bool:
        """The thread runs but has not finished a round of checks for STUCK_AFTER seconds."""
        return self.stuck_for() > STUCK_AFTER

    def run_checks(self) -> None:
        """One round: reap, then every check; a failing check is logged and the others still run."""
        processes.reap()
        for check in self.checks:
            try:
                check()
            except Exception:
                log.exception("runtime supervisor check failed")
        self.last_tick = time.monotonic()

    def _run(self, stop: threading.Event) -> None:
        while not stop.wait(self.tick):
            self.run_checks()


class PhpRestarts:
    """Supervisor check: the PHP group of every instance the driver serves is started again when it died. It is
    handed what it needs of the driver: the roots it serves (the live set), how to find a running server, the
    instance's lock, and how to serve it."""

    def __init__(
        self,
        *,
        serving: set[Path],
        running_pid: Callable[[InstanceFiles, int], int | None],
        lock_of: Callable[[str], SharedLock],
        serve: Callable[[InstanceSpec, InstanceFiles, dict[str, Any]], None],
    ) -> None:
        self.serving, self.running_pid, self.lock_of, self.serve = serving, running_pid, lock_of, serve
        self.backoffs: dict[Path, processes.Backoff] = {}

    def check(self) -> None:
        now = time.monotonic()
        for root in list(self.serving):
            files = InstanceFiles(root)
            state = files.read_state()
            port = state.get("port")
            backoff = self.backoffs.setdefault(root, processes.Backoff())
            if isinstance(port, int) and self.running_pid(files, port):
                if not backoff.started_at:
                    backoff.started(now)
                continue
            if backoff.started_at:
                backoff.died(now)
            if not isinstance(port, int) or not backoff.due(now):
                continue
            lock = self.lock_of(root.name)
            # Shared, like a site action: only an instance action (start, stop, update, removal) excludes a restart
            if not lock.acquire_shared(blocking=False):
                continue  # an instance action is under way and starts or stops it itself
            try:
                with file_lock(files.run / "supervise.lock", timeout=0) as mine:
                    # `bbws serve` and `bbws worker` may both serve it: one restarts, the other then sees it run
                    if mine and root in self.serving and not self.running_pid(files, port):
                        self.serve(_spec_of(state), files, state)
                        backoff.started(time.monotonic())
                        log.warning("restarted the PHP server of an instance", extra={"instance": root.name})
            except (DriverError, KeyError, TypeError, OSError) as exc:
                backoff.failed(time.monotonic())
                log.error("the PHP server of an instance could not be restarted",
                          extra={"instance": root.name, "error": str(exc)})
            finally:
                lock.release_shared()


def _spec_of(state: dict[str, Any]) -> InstanceSpec:
    """The spec an instance was last served with, as its state file recorded it."""
    return InstanceSpec(
        tenant_id=state["tenantId"],
        environment=state["environment"],
        instance_id=state["instanceId"],
        desired_count=int(state["desiredCount"]),
        wordpress_version=str(state["wordpressVersion"]),
        php_version=str(state["phpVersion"]),
        settings=dict(state.get("settings") or {}),
    )


