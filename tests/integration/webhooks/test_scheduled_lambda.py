"""On AWS a schedule invokes `bbws.aws.scheduled.handler`: due webhook deliveries go out, and the Operations
of jobs that the queue dead-lettered by itself are failed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import bbws.aws
from bbws.aws import scheduled
from bbws.core.changes import Actor, Changes
from bbws.core.clock import ManualClock
from bbws.core.queue import Job
from bbws.events.outbox import enqueue
from bbws.jobs import operations as ops
from tests.integration.webhooks.conftest import Receiver
from tests.integration.webhooks.test_delivery import deliveries, make_webhook, park
from tests.support.api import ApiHarness


@pytest.fixture
def lambda_container(local: ApiHarness) -> Iterator[ApiHarness]:
    bbws.aws.use_container(local.container)
    yield local
    bbws.aws.use_container(None)


def test_the_schedule_sends_due_deliveries(
    lambda_container: ApiHarness, receiver: Receiver, clock: ManualClock
) -> None:
    api = lambda_container
    tid = api.create_tenant()["tenantId"]
    hook = make_webhook(api, tid, receiver.url, ["bbws.tenant.parked"])
    receiver.answers = [503]
    park(api, tid)
    assert [d["status"] for d in deliveries(api, hook)] == ["FAILED"]
    clock.advance(seconds=10)
    assert scheduled.handler({"source": "aws.events", "detail-type": "Scheduled Event"}, None)["ticks"] >= 2
    [delivery] = deliveries(api, hook)
    assert delivery["status"] == "SUCCEEDED" and [a["statusCode"] for a in delivery["attempts"]] == [503, 200]


def test_the_schedule_fails_operations_of_dead_lettered_jobs(lambda_container: ApiHarness) -> None:
    api = lambda_container
    container = api.container
    tid = api.create_tenant()["tenantId"]
    changes = Changes(actor=Actor.system("test"), now=container.clock.now())
    op = ops.start_operation(changes, tenant_id=tid, operation_type="TEST", resource_type="test", resource_id=tid)
    enqueue(changes, Job(name="NoSuchJobHandlerAnywhere", tenant_id=tid, operation_id=op["operationId"]))
    changes.commit(container.store)
    api.worker.relay()  # type: ignore[misc]
    for _ in range(3):  # three workers take it and die without an answer
        container.queue.receive(visibility_timeout=0)
    container.queue.receive(visibility_timeout=0)  # the queue moves it to its DLQ
    scheduled.handler({}, None)
    failed = ops.get_operation(container.store, op["operationId"])
    assert failed is not None and failed["status"] == "FAILED" and failed["error"]["code"] == "JOB_DEAD_LETTERED"
