"""The SQS consumer Lambda: one worker code path, partial batch failures, backoff and the DLQ on moto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import bbws.aws
from bbws.aws import sqs_worker
from bbws.core.handlers import JobContext
from bbws.core.queue import Job
from bbws.jobs.keys import job_error_key
from tests.integration.aws.lambda_events import received, sample_event, sqs_event
from tests.support.api import ApiHarness, rid

SUCCEEDS, RAISES = "AwsTestSucceeds", "AwsTestRaises"


def _succeeds(job: Job, ctx: JobContext) -> dict[str, Any]:
    return {"message": "Did it."}


def _raises(job: Job, ctx: JobContext) -> None:
    raise RuntimeError("disk full")


@pytest.fixture
def api(tmp_path: Path, aws_env: dict[str, str], queues: tuple[str, str]) -> Iterator[ApiHarness]:
    """The API with its jobs on SQS (moto); the Lambda entry points share its container."""
    url, dlq_url = queues
    harness = ApiHarness(tmp_path / "data", queue="sqs", sqs_queue_url=url, sqs_dlq_url=dlq_url, **aws_env)
    harness.container.handlers.add({SUCCEEDS: _succeeds, RAISES: _raises})  # the test jobs, beside the product's
    bbws.aws.use_container(harness.container)
    yield harness


def test_sample_event_parses_into_jobs() -> None:
    records = sample_event("sqs_batch.json")["Records"]
    jobs = [Job.from_dict(json.loads(r["body"])) for r in records]
    assert [j.payload["action"] for j in jobs] == ["park", "unpark"]


def test_a_failing_record_is_reported_alone_with_its_reason(api: ApiHarness, sqs: Any) -> None:
    ok, boom = Job(name=SUCCEEDS, tenant_id=rid("ten")), Job(name=RAISES, tenant_id=rid("ten"))
    api.container.queue.send([ok, boom])
    messages = received(sqs, api.settings.sqs_queue_url)
    boom_id = next(m["MessageId"] for m in messages if json.loads(m["Body"])["name"] == RAISES)

    result = sqs_worker.handler(sqs_event(messages), None)

    assert result == {"batchItemFailures": [{"itemIdentifier": boom_id}]}
    record = api.container.store.get(*job_error_key(boom.message_id))
    assert record is not None and record["error"] == "RuntimeError: disk full" and record["receives"] == 1


def test_no_record_crashes_the_batch(api: ApiHarness, sqs: Any) -> None:
    api.container.queue.send([Job(name=RAISES, tenant_id=rid("ten")), Job(name=RAISES, tenant_id=rid("ten"))])
    event = sqs_event(received(sqs, api.settings.sqs_queue_url))
    event["Records"].append({**event["Records"][0], "messageId": "not-a-job", "body": "this is not JSON"})

    result = sqs_worker.handler(event, None)

    failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
    assert failed == {r["messageId"] for r in event["Records"]}


def test_third_failure_goes_to_the_dlq_with_its_error(api: ApiHarness, sqs: Any) -> None:
    boom = Job(name=RAISES, tenant_id=rid("ten"))
    api.container.queue.send([boom])
    url = api.settings.sqs_queue_url
    for receive in (1, 2, 3):
        (message,) = received(sqs, url)
        assert message["Attributes"]["ApproximateReceiveCount"] == str(receive)
        sqs_worker.handler(sqs_event([message]), None)
        if receive < 3:  # the backoff has passed (the handler delayed it by up to a few seconds)
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    assert received(sqs, url) == []  # the redrive policy moved it

    (dead,) = api.container.queue.dead_letters()
    assert dead.job == boom and dead.receives == 3 and dead.last_error == "RuntimeError: disk full"


def test_a_job_runs_its_operation_to_completion(api: ApiHarness, sqs: Any) -> None:
    tenant = api.create_tenant()
    accepted = api.client.post(
        f"/v1.0/tenants/{tenant['tenantId']}/lifecycle/suspend",
        headers=api.admin(),
        json={"reason": "Invoice unpaid for 60 days"},
    )
    assert accepted.status_code == 202, accepted.text
    assert api.worker.relay is not None
    api.worker.relay()  # the outbox hands the job to SQS (on AWS the stream relay does)

    result = sqs_worker.handler(sqs_event(received(sqs, api.settings.sqs_queue_url)), None)

    assert result == {"batchItemFailures": []}
    operation = api.client.get(accepted.headers["location"], headers=api.admin()).json()
    assert operation["status"] == "COMPLETED" and operation["progress"] == 100
    assert api.client.get(f"/v1.0/tenants/{tenant['tenantId']}", headers=api.admin()).json()["status"] == "SUSPENDED"
