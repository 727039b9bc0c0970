"""A tenant park through every Lambda, as on AWS: HTTP API -> DynamoDB (outbox) -> stream relay -> SQS ->
consumer -> DynamoDB (change + event) -> stream relay -> EventBridge -> a rule's target."""

from __future__ import annotations

import json
from typing import Any

from bbws.aws import http, outbox_relay, sqs_worker
from tests.integration.aws.lambda_events import (
    api_request,
    delivered,
    outbox_items,
    received,
    route,
    sqs_event,
    stream_event,
)
from tests.support.api import ApiHarness


def relay(api: ApiHarness) -> int:
    """What the table's stream does: one INSERT record per outbox item, to the relay Lambda."""
    keys = [(i["pk"], i["sk"]) for i in outbox_items(api.container.store)]
    if keys:
        assert outbox_relay.handler(stream_event(keys), None) == {"batchItemFailures": []}
    assert outbox_items(api.container.store) == []
    return len(keys)


def call(method: str, path: str, api: ApiHarness, body: Any = None) -> tuple[int, Any]:
    headers = {k.lower(): v for k, v in api.admin().items()}
    response = http.handler(api_request(method, path, headers=headers, body=body), None)
    return response["statusCode"], json.loads(response["body"])


def test_a_park_runs_through_every_lambda(aws_api: ApiHarness, sqs: Any, events: Any) -> None:
    parked_url = route(events, sqs, "TENANT_PARKED")
    status, tenant = call("POST", "/v1.0/tenants", aws_api, {"organizationName": "Chain Org", "contactEmail": "a@b.co"})
    assert status == 201, tenant
    tid = tenant["tenantId"]
    relay(aws_api)  # tenant.created and friends

    reason = {"reason": "Client asked to pause"}
    status, operation = call("POST", f"/v1.0/tenants/{tid}/lifecycle/park", aws_api, reason)
    assert status == 202, operation
    assert relay(aws_api) >= 1  # the job (and the operation's events) leave the outbox
    assert delivered(sqs, parked_url, tid) == []  # nothing is parked yet

    result = sqs_worker.handler(sqs_event(received(sqs, aws_api.settings.sqs_queue_url)), None)
    assert result == {"batchItemFailures": []}
    relay(aws_api)  # the park's own events

    (parked,) = delivered(sqs, parked_url, tid)
    assert parked["detail"]["reason"] == "Client asked to pause" and parked["detail"]["tenantId"] == tid
    status, finished = call("GET", f"/v1.0/operations/{operation['operationId']}", aws_api)
    assert status == 200 and finished["status"] == "COMPLETED"
    assert call("GET", f"/v1.0/tenants/{tid}", aws_api)[1]["status"] == "PARKED"
