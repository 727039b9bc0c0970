"""Waiting in tests for something the code under test does in its own time (a thread, a process)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

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
