"""The job-queue contract: every test runs on the SQLite queue and on SQS (moto server) alike.

What SQS cannot promise stays in `test_sqlite_queue.py`: one delivery of a resent message id, exact
visibility timing (SQS counts whole seconds), and a stale receipt that can no longer ack.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bbws.core.queue import Delivery, Job, JobQueue
from bbws.jobs.sqlite_queue import SqliteQueue
from bbws.jobs.sqs_queue import SqsQueue, create_queues
from bbws.store.sqlite_store import SqliteStore
from tests.support.api import rid
from tests.support.moto_server import boto_client, moto_server


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(params=["sqlite", "sqs"])
def queue(request: pytest.FixtureRequest, tmp_path: Path) -> JobQueue:
    if request.param == "sqlite":
        return SqliteQueue(tmp_path / "q.sqlite3")
    client = boto_client("sqs", request.getfixturevalue("moto_endpoint"))
    url, dlq_url = create_queues(client, f"jobs-{uuid.uuid4().hex[:10]}", "dev")
    return SqsQueue(url, dlq_url, client=client, errors_store=SqliteStore(tmp_path / "errors.sqlite3"))


def job(**payload: object) -> Job:
    return Job(name="Noop", tenant_id=rid("ten"), payload=dict(payload), operation_id=rid("op"))


def receive_all(queue: JobQueue, **kwargs: float) -> list[Delivery]:
    """Receive until nothing is visible (SQS hands out at most 10 at a time, and may hand out fewer)."""
    got: list[Delivery] = []
    while batch := queue.receive(max_messages=10, **kwargs):  # type: ignore[arg-type]
        got += batch
    return got


def dead_letter(queue: JobQueue, jobs: list[Job]) -> None:
    """Fail each job on every receive until the queue dead-letters it."""
    queue.send(jobs)
    for _ in range(queue.max_receives):
        for d in receive_all(queue):
            queue.retry(d, error=f"boom {d.job.payload.get('n')}", delay_seconds=0)
    assert receive_all(queue) == []  # on SQS this receive is when the redrive policy moves them


def ids(letters: list) -> list[str]:  # type: ignore[type-arg]
    return [letter.job.message_id for letter in letters]


def test_send_receive_ack(queue: JobQueue) -> None:
    sent = [job(n=i) for i in range(3)]
    queue.send(sent)
    got = receive_all(queue)
    assert sorted((d.job for d in got), key=lambda j: j.message_id) == sorted(sent, key=lambda j: j.message_id)
    assert all(d.receives == 1 for d in got)
    assert queue.receive(max_messages=10) == []  # invisible while in flight
    assert queue.depth() == {"visible": 0, "inFlight": 3, "dead": 0}
    for d in got:
        queue.ack(d)
    assert queue.depth() == {"visible": 0, "inFlight": 0, "dead": 0}


def test_receive_takes_at_most_max_messages_and_sends_any_number(queue: JobQueue) -> None:
    sent = [job(n=i) for i in range(23)]  # more than one SQS batch of 10
    queue.send(sent)
    assert len(queue.receive(max_messages=2)) == 2
    rest = receive_all(queue)
    assert len(rest) == 21
    assert queue.depth()["inFlight"] == 23


def test_delayed_send_is_not_visible_yet(queue: JobQueue) -> None:
    queue.send([job()], delay_seconds=60)
    assert queue.receive() == []
    assert queue.depth() == {"visible": 0, "inFlight": 1, "dead": 0}


def test_retry_records_error_and_dead_letters_on_the_last_receive(queue: JobQueue) -> None:
    j = job(n=7)
    dead_letter(queue, [j])
    (dead,) = queue.dead_letters()
    assert dead.job == j and dead.last_error == "boom 7" and dead.receives == 3
    assert queue.dead_letter(j.message_id) == dead
    assert queue.depth() == {"visible": 0, "inFlight": 0, "dead": 1}
    assert queue.redrive([j.message_id]) == 1
    assert queue.dead_letters() == []
    (again,) = queue.receive()
    assert again.job == j and again.receives == 1
    queue.retry(again, error="x", delay_seconds=60)
    assert queue.receive() == []  # delayed


def test_dead_letters_page_in_message_id_order(queue: JobQueue) -> None:
    jobs = [job(n=i) for i in range(5)]
    dead_letter(queue, jobs)
    expected = sorted(j.message_id for j in jobs)
    first = queue.dead_letters(limit=2)
    assert ids(first) == expected[:2]
    assert ids(queue.dead_letters(limit=10, after=first[-1].job.message_id)) == expected[2:]
    assert ids(queue.dead_letters()) == expected  # listing leaves them where they were
    assert queue.dead_letter(rid("msg")) is None


def test_redrive_and_purge_some(queue: JobQueue) -> None:
    a, b, c = job(n=1), job(n=2), job(n=3)
    dead_letter(queue, [a, b, c])
    assert queue.purge_dead_letters([a.message_id]) == 1
    assert queue.redrive([b.message_id, rid("msg")]) == 1
    assert ids(queue.dead_letters()) == [c.message_id]
    assert [d.job for d in receive_all(queue)] == [b]
    assert queue.redrive([]) == 0 and queue.purge_dead_letters([]) == 0


def test_redrive_all(queue: JobQueue) -> None:
    jobs = [job(n=i) for i in range(12)]
    dead_letter(queue, jobs)
    assert queue.redrive() == 12
    assert queue.dead_letters() == []
    got = receive_all(queue)
    assert sorted(d.job.message_id for d in got) == sorted(j.message_id for j in jobs)
    assert {d.receives for d in got} == {1}


def test_purge_all(queue: JobQueue) -> None:
    dead_letter(queue, [job(), job()])
    assert len(queue.dead_letters()) == 2
    assert queue.purge_dead_letters() == 2
    assert queue.dead_letters() == []
    assert queue.depth()["dead"] == 0


def receive_after(queue: JobQueue, seconds: float) -> list[Delivery]:
    """What a receive returns once `seconds` have passed (the visibility clock of both adapters is real time)."""
    time.sleep(seconds)
    return queue.receive(max_messages=10, visibility_timeout=60)


def test_extend_keeps_a_job_in_hand_past_its_first_lease(queue: JobQueue) -> None:
    j = job()
    queue.send([j])
    (held,) = queue.receive(visibility_timeout=1)
    queue.extend([held], 5)  # a heartbeat renews the lease before it lapses
    assert receive_after(queue, 1.5) == []  # the first lease has run out; the renewed one holds
    queue.ack(held)
    queue.extend([held], 5)  # renewing a settled job is harmless
    assert queue.depth() == {"visible": 0, "inFlight": 0, "dead": 0}


def test_a_job_whose_lease_lapses_is_received_again(queue: JobQueue) -> None:
    j = job()
    queue.send([j])
    (held,) = queue.receive(visibility_timeout=1)  # its worker dies: nobody renews the lease
    (again,) = receive_after(queue, 1.5)
    assert again.job == j and again.receives == 2
    queue.extend([held], 60)  # the dead worker's stale receipt cannot take it back
    queue.ack(again)
    assert queue.depth() == {"visible": 0, "inFlight": 0, "dead": 0}
