"""Domain events on EventBridge (moto): a rule on `bbws-events-dev` routes TENANT_PARKED / TENANT_UNPARKED
to SQS queues, where the BBWS payloads arrive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bbws.core.events import Event
from bbws.events.eventbridge import EventBridgePublisher, PublishFailed
from tests.integration.aws.lambda_events import BUS, SOURCE, delivered, route
from tests.support.api import ApiHarness, rid


def test_park_and_unpark_reach_eventbridge_with_bbws_payloads(
    tmp_path: Path, aws_env: dict[str, str], events: Any, sqs: Any
) -> None:
    parked_url, unparked_url = route(events, sqs, "TENANT_PARKED"), route(events, sqs, "TENANT_UNPARKED")
    api = ApiHarness(tmp_path / "data", event_bus=BUS, **aws_env)  # the container adds the EventBridge publisher
    tid = api.create_tenant()["tenantId"]
    admin = api.admin()

    park = api.client.post(
        f"/v1.0/tenants/{tid}/lifecycle/park", headers=admin, json={"reason": "Client asked to pause"}
    )
    assert api.wait(park)["status"] == "COMPLETED"
    (parked,) = delivered(sqs, parked_url, tid)
    assert parked["source"] == SOURCE and parked["detail-type"] == "TENANT_PARKED"
    detail = parked["detail"]
    assert detail["type"] == "bbws.tenant.parked" and detail["eventId"].startswith("evt_")
    assert detail["reason"] == "Client asked to pause" and detail["parkedBy"] == "platform-admin"
    assert detail["timestamp"]

    unpark = api.client.post(f"/v1.0/tenants/{tid}/lifecycle/unpark", headers=admin, json={})
    assert api.wait(unpark)["status"] == "COMPLETED"
    (unparked,) = delivered(sqs, unparked_url, tid)
    assert unparked["detail-type"] == "TENANT_UNPARKED" and unparked["detail"]["unparkedBy"] == "platform-admin"
    assert delivered(sqs, parked_url, tid) == []  # each rule saw only its own detail-type


def test_publisher_sends_batches_of_ten(events: Any, sqs: Any) -> None:
    url = route(events, sqs, "TENANT_PARKED")
    tid = rid("ten")
    batch = [
        Event(
            type="bbws.tenant.parked",
            tenant_id=tid,
            subject=f"tenants/{tid}",
            data={"n": n},
            time="2026-11-25T17:00:00Z",
        )
        for n in range(23)
    ]
    EventBridgePublisher(events, BUS)(batch)
    got = delivered(sqs, url, tid)
    assert sorted(e["detail"]["n"] for e in got) == list(range(23))


class RefusingEvents:
    """An EventBridge client that refuses the second entry of every call."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(len(Entries))
        results = [{"EventId": "e"} for _ in Entries]
        if len(Entries) > 1:
            results[1] = {"ErrorCode": "InternalFailure", "ErrorMessage": "try again"}
        return {"FailedEntryCount": int(len(Entries) > 1), "Entries": results}


def test_refused_entries_are_retried_alone_then_raise_so_the_outbox_keeps_them() -> None:
    client = RefusingEvents()
    publisher = EventBridgePublisher(client, BUS, backoff_seconds=0)
    tid = rid("ten")
    publisher([Event(type="bbws.tenant.parked", tenant_id=tid, subject="s", data={}, time="t") for _ in range(3)])
    assert client.calls == [3, 1]  # the refused entry went again, on its own, and then passed

    stubborn = RefusingEvents()
    stubborn.put_events = lambda Entries: {  # type: ignore[method-assign]
        "FailedEntryCount": len(Entries),
        "Entries": [{"ErrorCode": "ThrottlingException"} for _ in Entries],
    }
    with pytest.raises(PublishFailed, match="ThrottlingException"):
        EventBridgePublisher(stubborn, BUS, backoff_seconds=0)(
            [Event(type="bbws.tenant.parked", tenant_id=tid, subject="s", data={}, time="t")]
        )


def test_aws_mode_publishes_to_the_environment_bus_by_default(tmp_path: Path) -> None:
    from bbws.core.settings import Settings

    aws = {"mode": "aws", "cursor_secret": "s" * 32, "jwks_url": "https://idp.example/jwks", "store": "dynamodb"}
    assert Settings(data_dir=tmp_path, **aws).event_bus == "bbws-events-dev"  # type: ignore[arg-type]
    assert Settings(data_dir=tmp_path, environment="prod", **aws).event_bus == "bbws-events-prod"  # type: ignore[arg-type]
    assert Settings(data_dir=tmp_path, event_bus="custom", **aws).event_bus == "custom"  # type: ignore[arg-type]
    assert Settings(data_dir=tmp_path).event_bus is None  # locally there is no bus unless one is set

    api = ApiHarness(tmp_path / "data", event_bus="bbws-events-sit")
    (bridge,) = [p for p in api.container.publishers if isinstance(p, EventBridgePublisher)]
    assert bridge.bus_name == "bbws-events-sit" and not bridge._clients.made  # no client until it publishes
