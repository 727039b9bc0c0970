"""The local driver's instance lock: site actions share it, instance actions hold it alone."""

from __future__ import annotations

import threading

import pytest

from bbws.instances.local.locks import Locks, SharedLock

WAIT = 10.0  # seconds a thread is given to get somewhere it must get to


def in_thread(action: object) -> tuple[threading.Thread, threading.Event]:
    done = threading.Event()

    def run() -> None:
        action()  # type: ignore[operator]
        done.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, done


def test_sharers_run_side_by_side() -> None:
    lock = SharedLock()
    with lock.shared():
        _, done = in_thread(lambda: (lock.acquire_shared(), lock.release_shared()))
        assert done.wait(WAIT)


def test_a_holder_alone_keeps_sharers_out_until_it_lets_go() -> None:
    lock = SharedLock()
    lock.acquire()
    assert lock.acquire_shared(blocking=False)  # its holder may take a share too (an action calling another)
    lock.release_shared()
    entered = threading.Event()

    def share() -> None:
        with lock.shared():
            entered.set()

    _, done = in_thread(share)
    assert not entered.wait(0.3)
    lock.release()
    assert done.wait(WAIT) and entered.is_set()


def test_taking_it_alone_waits_for_every_sharer() -> None:
    lock = SharedLock()
    lock.acquire_shared()
    _, done = in_thread(lambda: (lock.acquire(), lock.release()))
    assert not done.wait(0.3)
    lock.release_shared()
    assert done.wait(WAIT)


def test_it_is_reentrant_and_a_sharer_cannot_take_it_alone() -> None:
    lock = SharedLock()
    with lock.alone(), lock.alone(), lock.shared():
        pass
    with lock.shared(), lock.shared(), pytest.raises(RuntimeError, match="cannot take it alone"):
        lock.acquire()
    with lock.alone():  # everything above was let go
        pass


def test_a_nonblocking_share_is_refused_while_another_thread_holds_it_alone() -> None:
    lock = SharedLock()
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with lock.alone():
            held.set()
            release.wait(WAIT)

    thread, _ = in_thread(hold)
    assert held.wait(WAIT)
    assert lock.acquire_shared(blocking=False) is False
    release.set()
    thread.join(WAIT)
    assert lock.acquire_shared(blocking=False) is True


def test_locks_are_one_per_instance_and_one_per_site() -> None:
    locks = Locks()
    assert locks.instance("a") is locks.instance("a") and locks.instance("a") is not locks.instance("b")
    assert locks.site("a", "s1") is locks.site("a", "s1") and locks.site("a", "s1") is not locks.site("a", "s2")
