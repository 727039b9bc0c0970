"""`bbws worker`: workers in the foreground, without the API, that stop cleanly on SIGTERM or Ctrl-C.

The first signal lets each worker finish the job in hand; jobs not taken yet stay queued. A second signal
exits at once: the jobs in hand return to the queue when the next worker starts (it sees this process gone), or
when their lease runs out.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from types import FrameType

from bbws.app import build_worker
from bbws.core.container import Container

log = logging.getLogger("bbws.worker")

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def run_workers(container: Container, *, concurrency: int = 1) -> None:
    """Run `concurrency` workers until a stop signal; returns once they are all done."""
    workers = [build_worker(container) for _ in range(concurrency)]
    threads = [threading.Thread(target=w.run, name=f"bbws-worker-{i}", daemon=True) for i, w in enumerate(workers, 1)]
    signals_seen: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        signals_seen.append(signum)
        if len(signals_seen) > 1:
            log.warning("second stop signal; exiting now", extra={"signal": signal.Signals(signum).name})
            os._exit(1)  # the jobs in hand come back when a worker sees this process gone
        log.info("stopping after the jobs in hand", extra={"signal": signal.Signals(signum).name})
        for worker in workers:
            worker.stop()

    previous = {s: signal.signal(s, on_signal) for s in STOP_SIGNALS}
    try:
        log.info("worker started", extra={"concurrency": concurrency, "pid": os.getpid()})
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads):
            for thread in threads:
                thread.join(0.2)  # short joins keep the main thread free to take signals
        log.info("worker stopped")
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
