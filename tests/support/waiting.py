"""Waiting in tests for something the code under test does in its own time (a thread, a process)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from bbws.jobs.worker import Worker

T = TypeVar("T")


def wait_until(probe: Callable[[], T], *, timeout: float, every: float = 0.05) -> T | None:
    """`probe()` asked every `every` seconds until it gives something truthy, which is returned; None when
    `timeout` seconds pass first (the caller's assert then says what did not happen)."""
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        found = probe()
        if found:
            return found
        time.sleep(every)
    return None


def drain(worker: Worker, *, limit: int) -> int:
    """Run queued jobs in this thread until none is left (what the worker beside the API does); returns how many
    ran. More than `limit` is a job that keeps queueing others: the test fails saying so."""
    ran = 0
    while ran < limit:
        done = worker.run_once(max_messages=10)
        if not done:
            return ran
        ran += done
    raise AssertionError(f"jobs still queued after {limit} runs")
