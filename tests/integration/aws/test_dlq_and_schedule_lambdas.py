"""The DLQ Lambda and the scheduled Lambda on moto: a job that no worker ever answered goes to the DLQ by the
redrive policy; the sweep fails its Operation and releases its tenant, and leaves the message in the DLQ for the
`bbws dlq` tools."""

from __future__ import annotations

from typing import Any

from bbws.aws import dlq, scheduled
from tests.integration.aws.lambda_events import received, sqs_event
from tests.support.api import ApiHarness


def dead_lettered_suspend(api: ApiHarness, sqs: Any) -> dict[str, Any]:
    """A suspend whose job every worker took and died on: received three times, never answered."""
    tenant = api.create_tenant()
    api.run_jobs()
    accepted = api.client.post(f"/v1.0/tenants/{tenant['tenantId']}/lifecycle/suspend", headers=api.admin(),
                               json={"reason": "Invoice unpaid for 60 days"})
    assert accepted.status_code == 202, accepted.text
    assert api.worker.relay is not None
    api.worker.relay()  # the outbox hands the job to SQS (on AWS the stream relay does)
    url = api.settings.sqs_queue_url
    for _ in range(3):
        assert sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)  # the redrive moved it
    return dict(accepted.json())


def operation(api: ApiHarness, operation_id: str) -> dict[str, Any]:
    response = api.client.get(f"/v1.0/operations/{operation_id}", headers=api.admin())
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_the_dlq_lambda_fails_the_operation_and_keeps_the_letter(aws_api: ApiHarness, sqs: Any) -> None:
    accepted = dead_lettered_suspend(aws_api, sqs)

    assert dlq.handler({}, None) == {"failed": 1}

    failed = operation(aws_api, accepted["operationId"])
    assert failed["status"] == "FAILED" and failed["error"]["code"] == "JOB_DEAD_LETTERED"
    tenant = aws_api.client.get(f"/v1.0/tenants/{accepted['resourceId']}", headers=aws_api.admin()).json()
    assert tenant["status"] == "ACTIVE"  # released: the suspend never happened
    assert [d.job.operation_id for d in aws_api.container.queue.dead_letters()] == [accepted["operationId"]]
    assert dlq.handler({}, None) == {"failed": 0}  # a second sweep leaves the finished operation alone


def test_as_the_dlqs_event_source_it_fails_the_operations_of_the_letters_it_is_handed(
    aws_api: ApiHarness, sqs: Any
) -> None:
    accepted = dead_lettered_suspend(aws_api, sqs)
    letters = received(sqs, aws_api.settings.sqs_dlq_url)
    assert len(letters) == 1

    assert dlq.handler(sqs_event(letters), None) == {"batchItemFailures": []}

    failed = operation(aws_api, accepted["operationId"])
    assert failed["status"] == "FAILED" and failed["error"]["code"] == "JOB_DEAD_LETTERED"
    assert dlq.handler(sqs_event(letters), None) == {"batchItemFailures": []}  # again: left alone


def test_the_scheduled_lambda_runs_the_sweep_the_deliveries_and_the_health_sweep(
    aws_api: ApiHarness, sqs: Any
) -> None:
    accepted = dead_lettered_suspend(aws_api, sqs)

    assert scheduled.handler({}, None) == {"ticks": 3}  # the reaper; webhook deliveries due; the health sweep

    assert operation(aws_api, accepted["operationId"])["status"] == "FAILED"
