"""A worker SIGKILLed in the middle of a long job: the next worker on the data dir runs it again at once, not
when the job's lease runs out, and the job's Operation completes."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

from bbws.app import build_container
from bbws.core.changes import Actor, Changes
from bbws.core.container import Container
from bbws.core.ids import new_id
from bbws.core.queue import Job
from bbws.core.settings import Settings
from bbws.events.outbox import enqueue
from bbws.jobs import operations as ops
from tests.reliability import handlers
from tests.reliability.test_worker_kills import worker_process
from tests.support import waiting
from tests.support.api import rid

LEASE = 30.0  # the default: a job that came back by its lease running out would fail the bound below
TIMEOUT = 60.0


def queue_slow_job(container: Container) -> Job:
    changes = Changes(actor=Actor.system("reliability"), now=container.clock.now())
    tenant_id, message_id = rid("ten"), new_id("msg")
    operation = ops.start_operation(
        changes, tenant_id=tenant_id, operation_type="RELIABILITY_SLOW", resource_type="effect",
        resource_id=message_id,
    )
    job = Job(name=handlers.SLOW_JOB, tenant_id=tenant_id, payload={"seconds": 3 * LEASE},
              operation_id=operation["operationId"], message_id=message_id)
    enqueue(changes, job)
    changes.commit(container.store)
    return job


def attempts(container: Container, job: Job) -> list[dict[str, Any]]:
    pk, _ = handlers.effect_key(job)
    return sorted(container.store.query(pk, sk_prefix=f"ATTEMPT#{job.message_id}#").items, key=lambda a: a["at"])


def wait_until(what: str, check: Any, timeout: float = TIMEOUT) -> Any:
    found = waiting.wait_until(check, timeout=timeout)
    assert found, f"{what}: not within {timeout} s"
    return found


def test_a_killed_workers_job_runs_again_as_soon_as_the_next_worker_starts(tmp_path: Path) -> None:
    env = {"BBWS_JOB_LEASE_SECONDS": str(LEASE), "BBWS_JOB_HEARTBEAT_SECONDS": "1"}
    data, log = tmp_path / "data", tmp_path / "worker.log"
    container = build_container(Settings(data_dir=data, run_worker=False))
    job = queue_slow_job(container)
    with worker_process(data, log, env) as first:
        wait_until("the first attempt", lambda: attempts(container, job))
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    restarted = time.time()
    with worker_process(data, log, env) as second:
        again = wait_until("the second attempt", lambda: attempts(container, job)[1:])
        took = again[0]["at"] - restarted
        assert again[0]["pid"] == second.pid
        assert took < LEASE / 2, f"the job ran again {took:.1f} s after the restart"
        done = wait_until(
            "the operation finishing",
            lambda: (op := ops.get_operation(container.store, str(job.operation_id))) and op["status"] in ops.FINISHED
            and op,
        )
    assert done["status"] == "COMPLETED" and done["result"]["attempts"] == 2, done
    print(f"ran again {took:.2f} s after the restart (lease {LEASE:.0f} s)")  # shown with -s
