"""Leases that follow the worker: a claimed job names its holder, a running worker renews it, and the jobs of a
dead holder come back at once (its process is gone) or after a lease without heartbeat."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from bbws.app import build_container
from bbws.core.handlers import HandlerRegistry, JobContext
from bbws.core.queue import Job
from bbws.core.settings import Settings, SettingsError
from bbws.jobs.heartbeat import Heartbeats, new_worker_id, reclaim_orphans
from bbws.jobs.sqlite_queue import SqliteQueue
from bbws.jobs.worker import Worker
from bbws.store.sqlite_store import SqliteStore
from tests.support.api import rid

LEASE = 30.0


def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_jobs_of_a_dead_or_silent_holder_come_back_and_a_live_ones_stay(tmp_path: Path) -> None:
    queue, beats = SqliteQueue(tmp_path / "q.sqlite3"), Heartbeats(SqliteStore(tmp_path / "s.sqlite3"))
    host = socket.gethostname()
    gone_process = f"{host}:{dead_pid()}:abcd:1"  # same host, its process exited: gone at once
    silent = f"elsewhere-{rid()}:42:abcd:1"  # another host whose last beat is older than a lease
    live_elsewhere = f"elsewhere-{rid()}:43:abcd:1"
    me, sibling = new_worker_id(), new_worker_id()  # two workers of this process
    for holder in (gone_process, silent, live_elsewhere, me, sibling):
        beats.beat(holder, in_hand=1)
        queue.send([Job(name="Noop", tenant_id=rid("ten"), payload={"holder": holder})])
        queue.receive(visibility_timeout=LEASE, holder=holder)
    record = beats.get(silent)
    assert record is not None
    beats.store.put({**record, "beatAt": time.time() - LEASE - 1})
    assert queue.holders() == {gone_process, silent, live_elsewhere, me, sibling}

    assert reclaim_orphans(queue=queue, heartbeats=beats, me=me, lease=LEASE) == 2
    back = queue.receive(max_messages=10)
    assert sorted(d.job.payload["holder"] for d in back) == sorted([gone_process, silent])
    assert all(d.receives == 2 for d in back)
    assert queue.holders() == {live_elsewhere, me, sibling}


def test_a_holder_that_left_no_record_is_gone_and_a_stale_receipt_cannot_settle(tmp_path: Path) -> None:
    queue, beats = SqliteQueue(tmp_path / "q.sqlite3"), Heartbeats(SqliteStore(tmp_path / "s.sqlite3"))
    queue.send([Job(name="Noop", tenant_id=rid("ten"))])
    (stale,) = queue.receive(visibility_timeout=LEASE, holder=f"elsewhere-{rid()}:7:abcd:1")
    assert reclaim_orphans(queue=queue, heartbeats=beats, me=new_worker_id(), lease=LEASE) == 1
    (again,) = queue.receive(visibility_timeout=LEASE)
    queue.ack(stale)  # the worker judged dead wakes up: its ack changes nothing
    assert queue.depth()["inFlight"] == 1
    queue.ack(again)
    assert queue.depth() == {"visible": 0, "inFlight": 0, "dead": 0}


def test_a_running_worker_beats_renews_its_lease_and_forgets_its_record_on_stop(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, run_worker=False, job_lease_seconds=1.0, job_heartbeat_seconds=0.2)
    container = build_container(settings)
    registry, started, release = HandlerRegistry(), threading.Event(), threading.Event()
    worker = Worker(container=container, queue=container.queue, registry=registry)

    @registry.register("Slow")
    def slow(job: Job, ctx: JobContext) -> None:
        started.set()
        release.wait(30)

    container.queue.send([Job(name="Slow", tenant_id=rid("ten"))])
    thread = threading.Thread(target=worker.run, kwargs={"idle_wait": 0.05}, daemon=True)
    thread.start()
    try:
        assert started.wait(30)
        time.sleep(1.5)  # longer than the lease: only the renewals keep the job in hand
        assert container.queue.receive(max_messages=10) == []
        record = Heartbeats(container.store).get(worker.id)
        assert record is not None and record["inHand"] == 1
        assert time.time() - record["beatAt"] < settings.job_lease_seconds
        assert container.queue.holders() == {worker.id}
    finally:
        release.set()
        worker.stop()
        thread.join(30)
    assert Heartbeats(container.store).get(worker.id) is None
    assert container.queue.depth() == {"visible": 0, "inFlight": 0, "dead": 0}


def test_the_heartbeat_must_be_shorter_than_the_lease(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="BBWS_JOB_HEARTBEAT_SECONDS"):
        Settings.load(data_dir=tmp_path, job_lease_seconds=5, job_heartbeat_seconds=5)
