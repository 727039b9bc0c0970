"""The runtime supervisor's watchdog: a thread stuck in a check is replaced, and the checks go on."""

from __future__ import annotations

import threading
import time

import pytest

from bbws.instances.local import supervisor as module
from bbws.instances.local.supervisor import Supervisor


def test_a_supervisor_stuck_in_a_check_is_replaced_and_checking_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(module, "STUCK_AFTER", 0.3)
    release, entered = threading.Event(), threading.Event()
    rounds: list[str] = []

    def check() -> None:
        rounds.append(threading.current_thread().name)
        if len(rounds) == 1:  # the first round hangs, as a check waiting on a process that never answers
            entered.set()
            release.wait(30)

    watched = Supervisor([check], tick=0.01)
    watched.start()
    try:
        assert entered.wait(10)
        watched.start()  # not stuck yet: the same thread stays
        assert len(rounds) == 1
        time.sleep(0.4)
        assert watched.stuck()
        watched.start()  # the watchdog's move
        deadline = time.monotonic() + 10
        while len(rounds) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(rounds) >= 3 and not watched.stuck()
    finally:
        release.set()
        watched.stop()


def test_a_stuck_supervisor_is_replaced_on_a_timer_without_anyone_asking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing calls start() again (no site needs MariaDB): the watchdog's own timer notices and replaces it."""
    monkeypatch.setattr(module, "STUCK_AFTER", 0.3)
    release, entered = threading.Event(), threading.Event()
    rounds: list[str] = []

    def check() -> None:
        rounds.append(threading.current_thread().name)
        if len(rounds) == 1:
            entered.set()
            release.wait(30)

    watched = Supervisor([check], tick=0.01, watch_every=0.05)
    watched.start()
    try:
        assert entered.wait(10)
        deadline = time.monotonic() + 10
        while len(rounds) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(rounds) >= 3 and watched.replaced == 1 and not watched.stuck()
    finally:
        release.set()
        watched.stop()
