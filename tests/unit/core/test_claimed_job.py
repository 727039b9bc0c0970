"""The one sequence of a job on a claimed resource: load, 'already done', 'no longer ours', run."""

from __future__ import annotations

from typing import Any

import pytest

from bbws.core.changes import Actor, Changes
from bbws.core.handlers import ClaimedJob, JobContext, PermanentFailure
from bbws.core.queue import Job
from bbws.core.store import ItemStore


class Counter(ClaimedJob):
    kind = "counter"

    def __init__(self, item: dict[str, Any] | None) -> None:
        self.item, self.runs = item, 0

    def load(self, job: Job, ctx: JobContext) -> dict[str, Any] | None:
        return self.item

    def name_of(self, job: Job, item: dict[str, Any] | None) -> str:
        return str(job.payload["id"])

    def done(self, item: dict[str, Any]) -> dict[str, Any]:
        return {"count": item["count"], "again": True}

    def run(self, job: Job, ctx: JobContext, item: dict[str, Any]) -> dict[str, Any]:
        self.runs += 1
        assert self.item is not None
        self.item = {**item, "count": item["count"] + 1, "pendingOperationId": None,
                     "lastOperationId": job.operation_id}
        return {"count": self.item["count"]}

    @staticmethod
    def release(changes: Changes, store: ItemStore, operation: dict[str, Any]) -> None:
        return None


JOB = Job(name="Count", tenant_id="ten_1", payload={"id": "c1"}, operation_id="op_1")
CTX = JobContext(container=None, report=lambda *_: None, operation={"createdBy": "usr_1", "requestId": "req_1"})  # type: ignore[arg-type]


def test_a_claimed_resource_is_worked_on_once_and_a_second_delivery_only_reports() -> None:
    job = Counter({"count": 0, "pendingOperationId": "op_1"})
    assert job(JOB, CTX) == {"count": 1}
    assert job(JOB, CTX) == {"count": 1, "again": True}
    assert job.runs == 1


def test_a_resource_claimed_by_another_operation_is_refused_without_running() -> None:
    job = Counter({"count": 0, "pendingOperationId": "op_2"})
    with pytest.raises(PermanentFailure, match="counter c1 is no longer waiting for operation op_1"):
        job(JOB, CTX)
    assert job.runs == 0


def test_a_resource_that_is_gone_is_a_permanent_failure() -> None:
    with pytest.raises(PermanentFailure, match="counter c1 no longer exists"):
        Counter(None)(JOB, CTX)


def test_the_job_acts_as_whoever_asked_for_its_operation() -> None:
    assert CTX.actor == Actor(sub="usr_1", request_id="req_1")
    assert JobContext(container=None, report=lambda *_: None).actor.sub == "system"  # type: ignore[arg-type]
