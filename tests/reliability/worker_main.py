"""A worker process built as `bbws worker` builds it, with short timeouts for the kill tests.

`python -m tests.reliability.worker_main DATA_DIR` prints `ready` once the worker is built, then runs it. A job's
lease and a webhook delivery's lease are 1 s and 2 s (instead of 30 s and minutes; `BBWS_JOB_LEASE_SECONDS`
and `BBWS_JOB_HEARTBEAT_SECONDS` in the environment win) and retries have no backoff, so the work a killed
worker held comes back within the test's time.
"""

from __future__ import annotations

import os
import random
import signal
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from bbws.jobs import worker as worker_module
from bbws.notifications import delivery

JOB_LEASE = {"BBWS_JOB_LEASE_SECONDS": "1", "BBWS_JOB_HEARTBEAT_SECONDS": "0.25"}
DELIVERY_LEASE = timedelta(seconds=2)


def _no_backoff(receives: int, *, base: float = 0, cap: float = 0, rng: random.Random | None = None) -> float:
    return 0.0


def crash_after(names: str, times: int, counter: Path) -> None:
    """`BBWS_TEST_CRASH=import_site,install_site`: the worker SIGKILLs itself right after those runtime calls
    return (the work done, nothing recorded yet), the first `times` times across worker restarts."""
    from bbws.instances.local.driver import LocalDriver

    for name in names.split(","):
        original = getattr(LocalDriver, name)

        def crashing(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            answer = _original(self, *args, **kwargs)
            done = int(counter.read_text()) if counter.exists() else 0
            if done < times:
                counter.write_text(str(done + 1))
                os.kill(os.getpid(), signal.SIGKILL)
            return answer

        setattr(LocalDriver, name, crashing)


def main(data_dir: Path) -> None:
    if os.environ.get("BBWS_TEST_CRASH"):
        crash_after(
            os.environ["BBWS_TEST_CRASH"], int(os.environ.get("BBWS_TEST_CRASH_TIMES", "1")), data_dir / "crashes"
        )
    for name, value in JOB_LEASE.items():
        os.environ.setdefault(name, value)
    worker_module.backoff_seconds = _no_backoff
    delivery.LEASE = DELIVERY_LEASE
    from bbws.app import build_container, build_worker
    from bbws.core.settings import Settings
    from tests.reliability import handlers

    container = build_container(Settings(data_dir=data_dir))
    container.handlers.add(handlers.HANDLERS)  # the test jobs, beside the product's
    worker = build_worker(container)
    print("ready", flush=True)
    worker.run(idle_wait=0.05)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
