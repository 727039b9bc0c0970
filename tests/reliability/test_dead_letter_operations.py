"""A job whose workers all died on it (3 receives, never answered) goes to the DLQ, and its Operation says so.

The kill test meets this case only when a kill lands in the short window of a job's last receive; here it is
set up on purpose.
"""

from __future__ import annotations

from pathlib import Path

from bbws.app import build_container, build_worker
from bbws.core.changes import Actor, Changes
from bbws.core.ids import new_id
from bbws.core.queue import Job
from bbws.core.settings import Settings
from bbws.events.outbox import enqueue
from bbws.jobs import operations as ops
from tests.reliability import handlers


def test_a_job_dead_lettered_because_its_workers_died_fails_its_operation(tmp_path: Path) -> None:
    container = build_container(Settings(data_dir=tmp_path, run_worker=False))
    worker = build_worker(container)
    tenant_id, message_id = new_id("ten"), new_id("msg")
    changes = Changes(actor=Actor.system("reliability"), now=container.clock.now())
    operation = ops.start_operation(
        changes, tenant_id=tenant_id, operation_type="RELIABILITY_EFFECT", resource_type="effect",
        resource_id=message_id,
    )
    enqueue(changes, Job(name=handlers.JOB, tenant_id=tenant_id, operation_id=operation["operationId"],
                         message_id=message_id))
    changes.commit(container.store)
    assert worker.relay is not None
    worker.relay()

    # Three workers take the job and die before answering; the first had marked the Operation started.
    for receives in (1, 2, 3):
        (delivery,) = container.queue.receive(visibility_timeout=0)
        assert delivery.receives == receives
        if receives == 1:
            started = Changes(actor=Actor.system("reliability"), now=container.clock.now())
            ops.mark_started(operation, started)
            started.commit(container.store)

    worker.run_once()  # the queue moves the job to the DLQ instead of delivering it a fourth time

    letter = container.queue.dead_letter(message_id)
    assert letter is not None and "visibility timeout" in (letter.last_error or "")
    final = ops.get_operation(container.store, operation["operationId"])
    assert final is not None
    assert final["status"] == ops.OperationStatus.FAILED, f"the operation of a dead-lettered job is {final['status']}"
    assert final["error"] is not None
