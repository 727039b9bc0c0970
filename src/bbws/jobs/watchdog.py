"""The progress of a worker's job loop, for its watchdog: a loop that neither polls nor reports a step is stuck."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from bbws.core.queue import Delivery

_local = threading.local()


@dataclass
class LoopState:
    """One job-loop thread of a worker: when it last made progress, and the deliveries it holds. A replaced loop
    keeps its own state (its `stop` set), so a handler that returns late neither counts as progress of the new
    loop nor takes more jobs."""

    number: int
    stop: threading.Event = field(default_factory=threading.Event)
    progress_at: float = field(default_factory=time.monotonic)
    current: Delivery | None = None  # the delivery whose handler runs now
    waiting: list[Delivery] = field(default_factory=list)  # received with it, not started yet
    thread: threading.Thread | None = None

    def progressed(self) -> None:
        self.progress_at = time.monotonic()

    def idle_for(self) -> float:
        return time.monotonic() - self.progress_at

    def halted(self) -> bool:
        return self.stop.is_set()


def bind(state: LoopState) -> None:
    """The calling thread runs this loop (its handlers report progress to it)."""
    _local.loop = state


def current() -> LoopState | None:
    """The loop the calling thread runs; None outside a loop (a direct `run_once`, the SQS consumer)."""
    state: LoopState | None = getattr(_local, "loop", None)
    return state


def progressed() -> None:
    """The calling thread's loop moved on (a poll, a job started, a step reported)."""
    state = current()
    if state is not None:
        state.progressed()
