"""Lambda events for the tests, made from the samples in `tests/events/` with real ids and receipts filled in,
and EventBridge routes whose deliveries the tests read."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

from bbws.core.changes import OUTBOX_SHARDS
from bbws.core.store import ItemStore

BUS = "bbws-events-dev"
SOURCE = "bbws.tenant-management"
EVENTS_DIR = Path(__file__).parents[2] / "events"


def sample_event(name: str) -> dict[str, Any]:
    """A sample Lambda event from `tests/events/`."""
    return dict(json.loads((EVENTS_DIR / name).read_text()))


def received(sqs: Any, url: str) -> list[dict[str, Any]]:
    """What the Lambda service would hand over: every visible message of a queue, with its attributes."""
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30, AttributeNames=["All"]
    ).get("Messages"):
        messages += batch
    return messages


def sqs_event(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The sample SQS batch event, its records filled in from received messages."""
    template = sample_event("sqs_batch.json")["Records"][0]
    records = []
    for message in messages:
        record = copy.deepcopy(template)
        record.update(messageId=message["MessageId"], receiptHandle=message["ReceiptHandle"], body=message["Body"])
        record["attributes"]["ApproximateReceiveCount"] = message["Attributes"]["ApproximateReceiveCount"]
        records.append(record)
    return {"Records": records}


def outbox_items(store: ItemStore) -> list[dict[str, Any]]:
    return [item for shard in range(OUTBOX_SHARDS) for item in store.query(f"OUTBOX#{shard}").items]


def stream_event(keys: list[tuple[str, str]], *, name: str = "INSERT") -> dict[str, Any]:
    """The sample DynamoDB stream event with one keys-only record per item key."""
    template = sample_event("dynamodb_stream_outbox_insert.json")["Records"][0]
    records = []
    for n, (pk, sk) in enumerate(keys):
        record = copy.deepcopy(template)
        record["eventName"] = name
        record["dynamodb"].update(
            Keys={"pk": {"S": pk}, "sk": {"S": sk}}, SequenceNumber=f"{n + 1:024d}", StreamViewType="KEYS_ONLY"
        )
        del record["dynamodb"]["NewImage"]
        records.append(record)
    return {"Records": records}


def api_request(
    method: str, path: str, *, query: str = "", headers: dict[str, str] | None = None, body: Any = None
) -> dict[str, Any]:
    """The sample API Gateway HTTP API (payload v2) request, for another method, path, headers or JSON body."""
    event = sample_event("apigw_v2_request.json")
    event.update(rawPath=path, rawQueryString=query)
    event["requestContext"]["http"].update(method=method, path=path)
    event["headers"].update(headers or {})
    if body is not None:
        event["headers"]["content-type"] = "application/json"
        event["body"] = json.dumps(body)
    return event


def route(events: Any, sqs: Any, detail_type: str) -> str:
    """A rule on the bus sending `detail_type` from the tenant-management source to a new queue; its URL."""
    name = f"t-{uuid.uuid4().hex[:10]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": [SOURCE], "detail-type": [detail_type]}
    events.put_rule(Name=name, EventBusName=BUS, EventPattern=json.dumps(pattern), State="ENABLED")
    events.put_targets(Rule=name, EventBusName=BUS, Targets=[{"Id": "queue", "Arn": arn}])
    return str(url)


def delivered(sqs: Any, url: str, tenant_id: str) -> list[dict[str, Any]]:
    """The EventBridge events a target queue received for one tenant (taken off the queue)."""
    found = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            body = json.loads(message["Body"])
            if body["detail"].get("tenantId") == tenant_id:
                found.append(body)
    return found
