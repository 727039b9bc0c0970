"""The local driver's locks: an instance is changed by one action at a time (start, stop, update, deprovision), while
the work on its sites runs side by side, one action per site; a long restore holds neither its neighbours nor the
health checks of its own instance."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator


class SharedLock:
    """Many holders share it, or one holds it alone. Re-entrant for the thread that holds it (a holder alone may
    also take a share), so an action may call another that takes the same lock."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._sharers: dict[int, int] = {}  # thread id -> depth
        self._owner: int | None = None
        self._depth = 0

    def acquire_shared(self, *, blocking: bool = True) -> bool:
        me = threading.get_ident()
        with self._cond:
            if self._owner == me or me in self._sharers:
                self._sharers[me] = self._sharers.get(me, 0) + 1
                return True
            while self._owner is not None:
                if not blocking:
                    return False
                self._cond.wait()
            self._sharers[me] = 1
            return True

    def release_shared(self) -> None:
        me = threading.get_ident()
        with self._cond:
            self._sharers[me] -= 1
            if not self._sharers[me]:
                del self._sharers[me]
                self._cond.notify_all()

    def acquire(self) -> None:
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                self._depth += 1
                return
            if me in self._sharers:  # two sharers doing this would wait for each other for ever
                raise RuntimeError("a thread sharing the lock cannot take it alone")
            while self._owner is not None or self._sharers:
                self._cond.wait()
            self._owner, self._depth = me, 1

    def release(self) -> None:
        with self._cond:
            self._depth -= 1
            if not self._depth:
                self._owner = None
                self._cond.notify_all()

    @contextlib.contextmanager
    def alone(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        self.acquire_shared()
        try:
            yield
        finally:
            self.release_shared()


class Locks:
    """One SharedLock per instance and one lock per site, made on first use."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._instances: dict[str, SharedLock] = {}
        self._sites: dict[tuple[str, str], threading.RLock] = {}

    def instance(self, name: str) -> SharedLock:
        with self._guard:
            return self._instances.setdefault(name, SharedLock())

    def site(self, instance: str, key: str) -> threading.RLock:
        with self._guard:
            return self._sites.setdefault((instance, key), threading.RLock())
