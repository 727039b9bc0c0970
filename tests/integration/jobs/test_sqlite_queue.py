"""What only the SQLite queue promises: one delivery of a resent message id, exact visibility timing, stale receipts.

Everything both adapters share is in `test_queue_contract.py`.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bbws.core.queue import Job, backoff_seconds
from bbws.jobs.sqlite_queue import SqliteQueue
from tests.support.api import rid


@pytest.fixture
def queue(tmp_path: Path) -> SqliteQueue:
    return SqliteQueue(tmp_path / "q.sqlite3")


def job(**payload: object) -> Job:
    return Job(name="Noop", tenant_id=rid("ten"), payload=dict(payload))


def test_same_message_id_is_queued_once(queue: SqliteQueue) -> None:
    j = job()
    queue.send([j])
    queue.send([j])
    assert len(queue.receive(max_messages=10)) == 1


def test_visibility_timeout_redelivers_and_third_receive_then_dead_letters(queue: SqliteQueue) -> None:
    queue.send([job()])
    for expected in (1, 2, 3):
        (d,) = queue.receive(visibility_timeout=0.01)
        assert d.receives == expected
        time.sleep(0.02)
    assert queue.receive(visibility_timeout=0.01) == []
    (dead,) = queue.dead_letters()
    assert dead.receives == 3 and "visibility timeout" in (dead.last_error or "")


def test_stale_receipt_cannot_ack_a_redelivered_job(queue: SqliteQueue) -> None:
    queue.send([job()])
    (first,) = queue.receive(visibility_timeout=0.01)
    time.sleep(0.02)
    (second,) = queue.receive()
    queue.ack(first)  # too late: another worker holds it now
    assert queue.depth()["inFlight"] == 1
    queue.ack(second)
    assert queue.depth()["inFlight"] == 0


def test_purge_dead_letters(queue: SqliteQueue) -> None:
    queue.send([job(), job()])
    for d in queue.receive(max_messages=2):
        queue.retry(d, error="e", delay_seconds=0)
    queue.max_receives = 1
    queue.receive(max_messages=2)  # dead-letters both: already received once
    assert len(queue.dead_letters()) == 2
    assert queue.purge_dead_letters() == 2 and queue.dead_letters() == []
    assert queue.redrive([]) == 0 and queue.purge_dead_letters([]) == 0


def test_backoff_grows_and_is_capped() -> None:
    import random

    rng = random.Random(1)
    assert all(0 <= backoff_seconds(1, rng=rng) <= 2 for _ in range(50))
    assert all(0 <= backoff_seconds(10, rng=rng) <= 300 for _ in range(50))
    assert max(backoff_seconds(4, rng=rng) for _ in range(200)) > 2


def test_release_hands_a_job_back_without_spending_a_receive(queue: SqliteQueue) -> None:
    queue.send([job()])
    for _ in range(2):
        (d,) = queue.receive()
        queue.retry(d, error="e", delay_seconds=0)
    (last,) = queue.receive()
    assert last.receives == 3
    queue.release(last)  # a stopping worker never started it
    (again,) = queue.receive()
    assert again.receives == 3 and queue.dead_letters() == []


def test_ack_many_deletes_only_deliveries_still_held(queue: SqliteQueue) -> None:
    queue.send([job(), job(), job()])
    first = queue.receive(max_messages=3, visibility_timeout=0.01)
    time.sleep(0.02)
    (retaken,) = queue.receive(max_messages=1)  # another worker took one of them after the timeout
    queue.ack_many(first)
    assert queue.depth()["inFlight"] == 1  # the retaken job is not deleted by the stale receipt
    queue.ack_many([retaken])
    assert queue.depth() == {"visible": 0, "inFlight": 0, "dead": 0}
