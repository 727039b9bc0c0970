"""The outbox relay Lambda on a DynamoDB stream (moto): INSERTs of `OUTBOX#` items go on, once, then go away."""

from __future__ import annotations

from collections.abc import Sequence

from bbws.aws import outbox_relay
from bbws.core.changes import Actor, Changes
from bbws.core.events import Event
from tests.integration.aws.lambda_events import outbox_items, sample_event, stream_event
from tests.support.api import ApiHarness, rid


def test_sample_record_of_an_item_already_handed_on_changes_nothing(aws_api: ApiHarness) -> None:
    event = sample_event("dynamodb_stream_outbox_insert.json")
    assert outbox_relay.handler(event, None) == {"batchItemFailures": []}
    assert aws_api.container.queue.receive(max_messages=10) == []


def test_an_inserted_job_goes_to_sqs_once_and_leaves_the_outbox(aws_api: ApiHarness) -> None:
    api, store = aws_api, aws_api.container.store
    tenant = api.create_tenant()
    park = api.client.post(
        f"/v1.0/tenants/{tenant['tenantId']}/lifecycle/park",
        headers=api.admin(),
        json={"reason": "Client asked to pause"},
    )
    assert park.status_code == 202, park.text
    items = [i for i in outbox_items(store) if i["kind"] == "job"]
    assert len(items) == 1
    event = stream_event([(i["pk"], i["sk"]) for i in items])
    event["Records"] += stream_event([(items[0]["pk"], items[0]["sk"])], name="REMOVE")["Records"]
    event["Records"] += stream_event([(f"TENANT#{tenant['tenantId']}", "METADATA")])["Records"]

    assert outbox_relay.handler(event, None) == {"batchItemFailures": []}
    assert outbox_relay.handler(event, None) == {"batchItemFailures": []}  # a replayed stream batch

    (delivery,) = api.container.queue.receive(max_messages=10)
    assert delivery.job.name == "TenantLifecycle" and delivery.job.operation_id == park.json()["operationId"]
    assert [i for i in outbox_items(store) if i["kind"] == "job"] == []


def test_an_event_goes_to_every_publisher_and_stays_while_one_fails(aws_api: ApiHarness) -> None:
    seen: list[Event] = []
    failing = {"on": True}

    def flaky(events: Sequence[Event]) -> None:
        if failing["on"]:
            raise RuntimeError("bus unavailable")
        seen.extend(events)

    container = aws_api.container
    container.publishers[:] = [flaky]
    tid = rid("ten")
    fact = Event(type="bbws.tenant.parked", tenant_id=tid, subject=f"tenants/{tid}", data={"tenantId": tid}, time="t")
    changes = Changes(actor=Actor.system("test"), now=container.clock.now())
    changes.outbox(kind="event", tenant_id=tid, message_id=fact.id, body=fact.envelope())
    changes.commit(container.store)
    (item,) = [i for i in outbox_items(container.store) if i["messageId"] == fact.id]
    event = stream_event([(item["pk"], item["sk"])])

    result = outbox_relay.handler(event, None)
    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["dynamodb"]["SequenceNumber"]}]}
    assert [i["messageId"] for i in outbox_items(container.store)] == [fact.id]  # kept for the retry

    failing["on"] = False
    assert outbox_relay.handler(event, None) == {"batchItemFailures": []}
    assert [e.id for e in seen] == [fact.id] and outbox_items(container.store) == []
