"""A stopping worker finishes the job in hand and hands back the rest untouched."""

from __future__ import annotations

from pathlib import Path

from bbws.app import build_container
from bbws.core.handlers import HandlerRegistry, JobContext
from bbws.core.queue import Job
from bbws.core.settings import Settings
from bbws.jobs.worker import Worker
from tests.support.api import rid


def test_stop_during_a_batch_hands_back_what_was_not_started(tmp_path: Path) -> None:
    container = build_container(Settings(data_dir=tmp_path, run_worker=False))
    registry, ran = HandlerRegistry(), []
    worker = Worker(container=container, queue=container.queue, registry=registry)

    @registry.register("StopAfterFirst")
    def stop_after_first(job: Job, ctx: JobContext) -> None:
        ran.append(job.message_id)
        worker.stop()  # SIGTERM arrives while the first job runs

    tenant = rid("ten")
    container.queue.send([Job(name="StopAfterFirst", tenant_id=tenant) for _ in range(5)])
    assert worker.run_once(max_messages=5) == 5
    assert len(ran) == 1
    assert container.queue.depth() == {"visible": 4, "inFlight": 0, "dead": 0}
    assert all(d.receives == 1 for d in container.queue.receive(max_messages=10))
