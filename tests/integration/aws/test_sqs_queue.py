"""What only the SQS adapter does (the shared contract is in `tests/integration/jobs/test_queue_contract.py`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bbws.cli.main import app
from bbws.core.queue import Job
from bbws.jobs.sqs_queue import DLQ_RETENTION_SECONDS, SqsQueue


def test_messages_carry_the_job_name_and_tenant(sqs: Any, queues: tuple[str, str]) -> None:
    url, dlq_url = queues
    job = Job(name="TenantLifecycle", tenant_id="ten_a", operation_id="op_b", payload={"action": "park"})
    SqsQueue(url, dlq_url, client=sqs).send([job, job], delay_seconds=5000)  # one message; delay capped at 900 s
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])
    assert attrs["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "1"

    SqsQueue(url, dlq_url, client=sqs).send([Job(name="Other", tenant_id="ten_c")])
    (message,) = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"]
    assert {k: v["StringValue"] for k, v in message["MessageAttributes"].items()} == {
        "job": "Other",
        "tenantId": "ten_c",
    }
    assert json.loads(message["Body"])["name"] == "Other"


def test_create_queues_sets_the_redrive_policy_and_is_idempotent(sqs: Any, queues: tuple[str, str]) -> None:
    url, dlq_url = queues
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    policy = json.loads(attrs["RedrivePolicy"])
    dlq = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["All"])["Attributes"]
    assert policy["deadLetterTargetArn"] == dlq["QueueArn"] and int(policy["maxReceiveCount"]) == 3
    assert dlq["MessageRetentionPeriod"] == str(DLQ_RETENTION_SECONDS)


def test_a_message_that_is_not_a_job_still_shows_in_the_dlq(sqs: Any, queues: tuple[str, str]) -> None:
    url, dlq_url = queues
    sqs.send_message(QueueUrl=dlq_url, MessageBody="not a job")
    queue = SqsQueue(url, dlq_url, client=sqs)
    (letter,) = queue.dead_letters()
    assert letter.job.name == "Unreadable" and letter.job.payload == {"body": "not a job"}
    assert letter.last_error is None and letter.receives == 3
    assert queue.purge_dead_letters([letter.job.message_id]) == 1 and queue.dead_letters() == []


def test_no_client_is_made_before_the_first_call() -> None:
    queue = SqsQueue("https://sqs.invalid/1/q", "https://sqs.invalid/1/dlq")
    assert not queue._clients.made


def test_queue_init_command(tmp_path: Path, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, sqs: Any) -> None:
    monkeypatch.setenv("BBWS_AWS_ENDPOINT_URL", aws_env["aws_endpoint_url"])
    monkeypatch.setenv("BBWS_AWS_REGION", aws_env["aws_region"])
    monkeypatch.setenv("BBWS_ENVIRONMENT", "sit")
    monkeypatch.setenv("BBWS_DATA_DIR", str(tmp_path))  # the command sets it too; this restores it afterwards
    for _ in range(2):  # running it again finds the same queues
        result = CliRunner().invoke(app, ["queue", "init", "--data-dir", str(tmp_path)])
        assert result.exit_code == 0, result.output
    settings = dict(line.split("=", 1) for line in result.output.split())
    assert settings["BBWS_SQS_QUEUE_URL"].endswith("/bbws-jobs-sit")
    assert settings["BBWS_SQS_DLQ_URL"].endswith("/bbws-jobs-dlq-sit")
    assert (
        "RedrivePolicy"
        in sqs.get_queue_attributes(QueueUrl=settings["BBWS_SQS_QUEUE_URL"], AttributeNames=["All"])["Attributes"]
    )


def test_an_unreadable_message_on_the_queue_is_skipped_until_the_dlq_takes_it(
    sqs: Any, queues: tuple[str, str]
) -> None:
    url, dlq_url = queues
    queue = SqsQueue(url, dlq_url, client=sqs)
    sqs.send_message(QueueUrl=url, MessageBody="{}")
    good = Job(name="Noop", tenant_id="ten_a")
    queue.send([good])
    (delivery,) = queue.receive(max_messages=10, visibility_timeout=0)  # the unreadable one is left alone
    assert delivery.job == good
    queue.ack(delivery)
    for _ in range(3):
        assert queue.receive(max_messages=10, visibility_timeout=0) == []
    (letter,) = queue.dead_letters()
    assert letter.job.name == "Unreadable" and letter.job.payload == {"body": "{}"}
