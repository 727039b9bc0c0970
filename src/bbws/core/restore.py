"""Bringing a runtime's instances back in the background after a start (`bbws serve`, `bbws worker`) while the
workers already take jobs. A job for an instance not back yet does that instance's start itself, or waits for the
one under way, so the background pass never starts an instance after a job has stopped it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

RESTORE_WAIT = 120.0  # seconds a job waits for the start of its instance that the restore is doing now
Key = tuple[str, str]  # (tenantId, environment)


class Restore:
    def __init__(self, todo: Iterable[Key] = ()) -> None:
        self._lock = threading.Lock()
        self._todo: list[Key] = list(todo)  # in the order they are brought back
        self._doing: dict[Key, threading.Event] = {}
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def pending(self) -> list[Key]:
        with self._lock:
            return list(self._todo)

    def bring_back(self, key: Key, start: Callable[[], None], *, wait: float = RESTORE_WAIT) -> None:
        """Run `start` for `key` unless someone already did (or is doing it: then wait for that)."""
        with self._lock:
            event, mine = self._doing.get(key), False
            if event is None and key in self._todo:
                self._todo.remove(key)
                event, mine = self._doing.setdefault(key, threading.Event()), True
        if event is None:
            return
        if not mine:
            event.wait(wait)
            return
        try:
            start()
        except Exception:
            with self._lock:
                self._todo.append(key)  # not back: the next job for it (or a later pass) tries again
            raise
        finally:
            with self._lock:
                self._doing.pop(key, None)
            event.set()
