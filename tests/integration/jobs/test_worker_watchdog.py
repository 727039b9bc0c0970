"""The worker's watchdog: a job loop that neither polls nor reports a step for `worker_stall_seconds` is left
behind, its job handed back with the reason and run by a fresh loop; a long job that reports its steps is not
stuck; `/readyz` names a stalled loop."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bbws.app import build_container
from bbws.core.handlers import HandlerRegistry, JobContext
from bbws.core.queue import Job
from bbws.core.settings import Settings, SettingsError
from bbws.jobs.heartbeat import Heartbeats
from bbws.jobs.worker import Worker
from tests.support import waiting
from tests.support.api import ApiHarness, rid

STALL = 0.6
DEADLINE = 30.0


def wait_until(probe: Callable[[], Any], timeout: float = DEADLINE) -> Any:
    return waiting.wait_until(probe, timeout=timeout, every=0.02)


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Callable[[HandlerRegistry], Worker]]:
    """Starts a worker (short lease, heartbeat and stall) on a registry; stops it afterwards."""
    started: list[tuple[Worker, threading.Thread]] = []

    def start(registry: HandlerRegistry) -> Worker:
        settings = Settings(data_dir=tmp_path, run_worker=False, job_lease_seconds=2.0, job_heartbeat_seconds=0.1,
                            worker_stall_seconds=STALL)
        container = build_container(settings)
        worker = Worker(container=container, queue=container.queue, registry=registry)
        thread = threading.Thread(target=worker.run, kwargs={"idle_wait": 0.02}, daemon=True)
        thread.start()
        started.append((worker, thread))
        return worker

    yield start
    for worker, thread in started:
        worker.stop()
        thread.join(DEADLINE)


def test_a_job_that_hangs_is_handed_back_and_a_fresh_loop_runs_it_and_the_next_jobs(
    running: Callable[[HandlerRegistry], Worker],
) -> None:
    registry, release = HandlerRegistry(), threading.Event()
    runs: list[tuple[str, int]] = []
    done: list[str] = []

    @registry.register("Hangs")
    def hangs(job: Job, ctx: JobContext) -> None:
        runs.append((threading.current_thread().name, len(runs) + 1))
        if len(runs) == 1:
            release.wait(DEADLINE)  # a handler that never returns (a step waiting on a process that hangs)

    @registry.register("Quick")
    def quick(job: Job, ctx: JobContext) -> None:
        done.append(job.payload["n"])

    worker = running(registry)
    try:
        worker.queue.send([Job(name="Hangs", tenant_id=rid("ten"))])
        assert wait_until(lambda: len(runs) >= 2), "the hanging job was not handed to a fresh loop"
        assert runs[0][0] != runs[1][0] and worker.stalled_loops == 1
        worker.queue.send([Job(name="Quick", tenant_id=rid("ten"), payload={"n": "after"})])
        assert wait_until(lambda: done == ["after"]), "the fresh loop does not take new jobs"
        assert wait_until(lambda: worker.queue.depth() == {"visible": 0, "inFlight": 0, "dead": 0})
    finally:
        release.set()
    assert len(runs) == 2  # the left-behind loop took nothing more when its handler finally returned


def test_the_reason_is_recorded_and_a_job_that_always_hangs_ends_in_the_dlq(
    running: Callable[[HandlerRegistry], Worker],
) -> None:
    registry, release = HandlerRegistry(), threading.Event()

    @registry.register("AlwaysHangs")
    def always(job: Job, ctx: JobContext) -> None:
        release.wait(DEADLINE)

    worker = running(registry)
    try:
        worker.queue.send([Job(name="AlwaysHangs", tenant_id=rid("ten"))])
        letters = wait_until(lambda: worker.queue.dead_letters())
        assert letters, "a job that hangs on every receive must end in the DLQ"
        assert "made no progress" in str(letters[0].last_error) and "stalled" in str(letters[0].last_error)
        assert worker.stalled_loops == worker.queue.max_receives
    finally:
        release.set()


def test_a_long_job_that_reports_its_steps_is_not_stuck(running: Callable[[HandlerRegistry], Worker]) -> None:
    registry = HandlerRegistry()
    runs: list[str] = []

    @registry.register("LongWithSteps")
    def long_job(job: Job, ctx: JobContext) -> None:
        runs.append(threading.current_thread().name)
        for step in range(10):  # runs about 3 stall limits in all, a step every quarter of one
            ctx.report(step * 10, f"step {step}")
            time.sleep(STALL / 4)

    worker = running(registry)
    worker.queue.send([Job(name="LongWithSteps", tenant_id=rid("ten"))])
    assert wait_until(lambda: runs and worker.queue.depth() == {"visible": 0, "inFlight": 0, "dead": 0})
    assert len(runs) == 1 and worker.stalled_loops == 0


def test_a_live_worker_whose_loop_is_stalled_makes_readyz_fail_with_the_age(tmp_path: Path) -> None:
    api = ApiHarness(tmp_path / "data", run_worker=False)
    beats = Heartbeats(api.container.store)
    beats.beat("elsewhere:1:abcd:1", in_hand=1, progress_age=1.0, stall=60.0)
    r = api.client.get("/readyz")
    assert r.status_code == 200, r.text
    beats.beat("elsewhere:1:abcd:1", in_hand=1, progress_age=75.0, stall=60.0)  # beats, but its loop is stuck
    r = api.client.get("/readyz")
    assert r.status_code == 503 and r.json()["failing"] == ["worker"], r.text
    check = r.json()["checks"]["worker"]
    assert check["status"] == "failing" and check["stalledSeconds"] >= 75
    assert "no progress for 75 s (limit 60 s)" in check["detail"]
    assert "elsewhere" not in r.text  # like every readiness answer (no token needed): no host or worker names


def test_the_stall_limit_must_be_longer_than_the_heartbeat(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="BBWS_WORKER_STALL_SECONDS"):
        Settings.load(data_dir=tmp_path, job_heartbeat_seconds=5, worker_stall_seconds=5)
