"""Worker heartbeats: each running worker's record in the store, and taking back the jobs of workers that died."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from itertools import count
from pathlib import Path
from typing import Any

from bbws.core.queue import JobQueue
from bbws.core.store import ItemStore
from bbws.jobs.keys import WORKER_PREFIX, WORKERS_PK, worker_key

log = logging.getLogger("bbws.worker")

RECORD_TTL_SECONDS = 86_400  # a killed worker never deletes its record; the store's TTL does
# One per process: a restarted process that got the same pid (pid 1 in a container) is told from its predecessor.
_PROCESS_NONCE = secrets.token_hex(4)
_numbers = count(1)


def new_worker_id() -> str:
    """`host:pid:nonce:n`: where the worker runs, so another worker on that host can see its process is gone."""
    return f"{socket.gethostname()}:{os.getpid()}:{_PROCESS_NONCE}:{next(_numbers)}"


def process_gone(pid: int) -> bool:
    """True when no process `pid` runs on this host (a zombie counts as gone: it runs no more code)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    except OSError:  # no /proc here: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    return raw[raw.rindex(")") + 2 :].split()[0] in ("Z", "X")


def holder_gone(holder: str, record: dict[str, Any] | None, *, lease: float, now: float) -> bool:
    """Whether the worker `holder` is dead: its process is gone (same host: known at once), or it has not beaten
    within a lease, or it left no record (workers record a beat before they take a job)."""
    host, _, rest = holder.partition(":")
    pid_text, _, rest = rest.partition(":")
    nonce = rest.partition(":")[0]
    if host == socket.gethostname() and pid_text.isdigit():
        pid = int(pid_text)
        if pid == os.getpid():
            return nonce != _PROCESS_NONCE  # this pid, another process: the one before a restart
        if process_gone(pid):
            return True
    return record is None or now - float(record.get("beatAt", 0)) > lease


class Heartbeats:
    """The records `WORKERS / WORKER#{id}`: when each worker last beat and how many jobs it held."""

    def __init__(self, store: ItemStore) -> None:
        self.store = store

    def beat(
        self, worker_id: str, *, in_hand: int, progress_age: float | None = None, stall: float | None = None
    ) -> None:
        """Record a beat; with `progress_age`, when the worker's job loop last moved on (and after how many
        seconds without progress its watchdog calls it stuck: `stall`), for `/readyz`."""
        now = time.time()
        host, _, rest = worker_id.partition(":")
        progress = {} if progress_age is None else {"progressAt": now - progress_age}
        if stall is not None:
            progress["stallSeconds"] = stall
        pk, sk = worker_key(worker_id)
        self.store.put(
            {
                **progress,
                "pk": pk,
                "sk": sk,
                "type": "workerHeartbeat",
                "workerId": worker_id,
                "host": host,
                "pid": int(rest.partition(":")[0] or 0),
                "beatAt": now,
                "inHand": in_hand,
                "ttl": int(now + RECORD_TTL_SECONDS),
            }
        )

    def forget(self, worker_id: str) -> None:
        self.store.delete(*worker_key(worker_id))

    def get(self, worker_id: str) -> dict[str, Any] | None:
        return self.store.get(*worker_key(worker_id))

    def all(self) -> list[dict[str, Any]]:
        return list(self.store.query(WORKERS_PK, sk_prefix=WORKER_PREFIX, limit=1000).items)


def reclaim_orphans(*, queue: JobQueue, heartbeats: Heartbeats, me: str, lease: float) -> int:
    """Make the jobs of dead workers visible again at once; returns how many came back."""
    holders = queue.holders() - {me}
    if not holders:
        return 0
    records = {str(r["workerId"]): r for r in heartbeats.all()}
    now = time.time()
    dead = sorted(h for h in holders if holder_gone(h, records.get(h), lease=lease, now=now))
    taken = queue.reclaim(dead) if dead else 0
    if taken:
        log.warning("took back the jobs of dead workers", extra={"jobs": taken, "workers": dead})
    return taken


class Beater:
    """A worker's heartbeat thread: every `interval` it records a beat, renews the lease of the jobs in hand
    (`in_hand()`), and takes back the jobs of dead workers. A failing round is logged; the next one tries again."""

    def __init__(
        self, *, worker_id: str, queue: JobQueue, heartbeats: Heartbeats, lease: float, interval: float,
        in_hand: Callable[[], Any], lock: threading.Lock,
        progress: Callable[[], float | None] | None = None, stall: float | None = None,
    ) -> None:
        self.worker_id, self.queue, self.heartbeats = worker_id, queue, heartbeats
        self.lease, self.interval, self.in_hand, self.lock = lease, interval, in_hand, lock
        self.progress, self.stall = progress, stall  # seconds since the job loop last moved on; its limit
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"bbws-heartbeat-{worker_id}", daemon=True)

    def start(self) -> None:
        """Beat once before the worker takes its first job (so others see a record for it), take back what
        dead workers hold, then keep beating in the background."""
        self.round()
        self._thread.start()

    def round(self) -> None:
        try:
            # The worker drops a job from `in_hand` under this lock before it settles it, so a renewal never
            # lands after a retry (pushing its backoff out). It waits on one `extend` call at most.
            with self.lock:
                held = list(self.in_hand())
                if held:
                    self.queue.extend(held, self.lease)
            age = self.progress() if self.progress is not None else None
            self.heartbeats.beat(self.worker_id, in_hand=len(held), progress_age=age, stall=self.stall)
            reclaim_orphans(queue=self.queue, heartbeats=self.heartbeats, me=self.worker_id, lease=self.lease)
        except Exception:
            log.exception("heartbeat failed", extra={"worker": self.worker_id})

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.round()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(self.interval + 5)
        try:
            self.heartbeats.forget(self.worker_id)
        except Exception:  # the record expires by itself
            log.warning("heartbeat record not removed", extra={"worker": self.worker_id})
