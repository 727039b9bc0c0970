"""The load client of the api benchmark: client processes, each with one keep-alive connection.

Kept light on purpose (standard library only): the client shares the machine's cores with the server, so
the less it costs per request, the more the figures say about the server.
"""

from __future__ import annotations

import http.client
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass


@dataclass(frozen=True)
class Shot:
    """What one client process did: requests answered 200, other answers, and when it ran (monotonic)."""

    ok: int
    failed: int
    started: float
    ended: float
    first_error: str = ""


def hammer(port: int, path: str, headers: dict[str, str], count: int, deadline: float) -> Shot:
    """Send `count` GETs one after another on one connection; stop early at `deadline` (monotonic)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    ok = failed = 0
    first_error = ""
    started = time.monotonic()
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        if response.status == 200:
            ok += 1
        else:
            failed += 1
            first_error = first_error or f"{response.status} {body[:200]!r}"
    ended = time.monotonic()
    conn.close()
    return Shot(ok, failed, started, ended, first_error)


@dataclass(frozen=True)
class Round:
    ok: int
    failed: int
    seconds: float
    first_error: str

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds > 0 else 0.0


class LoadClient:
    """`clients` processes, started once and reused, so process start-up never lands inside a measurement."""

    def __init__(self, clients: int) -> None:
        self.clients = clients
        self._pool = ProcessPoolExecutor(max_workers=clients, mp_context=multiprocessing.get_context("spawn"))

    def __enter__(self) -> LoadClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def run(self, port: int, path: str, headers: dict[str, str], requests: int, time_limit: float) -> Round:
        """`requests` GETs spread evenly over the clients, all at once; bounded by `time_limit` seconds."""
        deadline = time.monotonic() + time_limit
        share, extra = divmod(requests, self.clients)
        futures = [
            self._pool.submit(hammer, port, path, headers, share + (1 if i < extra else 0), deadline)
            for i in range(self.clients)
        ]
        shots = [f.result() for f in futures]
        span = max(s.ended for s in shots) - min(s.started for s in shots)
        errors = [s.first_error for s in shots if s.first_error]
        return Round(
            ok=sum(s.ok for s in shots),
            failed=sum(s.failed for s in shots),
            seconds=span,
            first_error=errors[0] if errors else "",
        )
