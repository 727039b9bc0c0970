"""The small ports the container carries besides the store, queue and artifacts: event publishers, the webhook
sender, the site health checker, the worker's after-tick calls, and `Lazy` for a port built on first use."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from bbws.core.events import Event

T = TypeVar("T")

# Hands committed events on (webhook deliveries, EventBridge); the relay calls each with every batch.
Publisher = Callable[[Sequence[Event]], None]
# A call the worker makes after each of its ticks (webhook deliveries due, the health sweep).
Tick = Callable[[], object]
# (driver, spec, key, url, declared, clock, deep) -> a site's health report.
HealthChecker = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class SendResult:
    """What one webhook POST got back: the status (None when no answer came), how long it took, and why not."""

    status_code: int | None
    duration_ms: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


# (url, body, headers) -> the answer of one webhook delivery attempt.
WebhookSender = Callable[[str, bytes, dict[str, str]], SendResult]


class Lazy(Generic[T]):
    """A port built the first time it is asked for (once, across threads), so a process that never needs it
    never pays for it, and a port that cannot be built (a runtime not configured) fails the job that needs it
    rather than the start of the API. `Lazy.of(value)` is one that is built already (tests pass their fakes)."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: T | None = None
        self._lock = threading.Lock()

    @classmethod
    def of(cls, value: T) -> Lazy[T]:
        made = cls(lambda: value)
        made._value = value
        return made

    def get(self) -> T:
        if self._value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._build()
        return self._value

    @property
    def built(self) -> T | None:
        """The port if it was built, without building it (shutting down what was started)."""
        return self._value
