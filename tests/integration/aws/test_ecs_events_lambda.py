"""The ECS event Lambda on DynamoDB (moto): ECS events about a tenant's service move its instance record once,
in order, along the state machine, with an audit record and a domain event for each status change."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from bbws.aws import ecs_events as entry
from bbws.core.store import ItemStore, Op
from bbws.tenants import keys
from tests.integration.aws.lambda_events import sample_event
from tests.support.api import ApiHarness

SAMPLE_TENANT = "ten_01jd3m8x2v9k4q7r5t6w8y0z1a"


def ecs_event(name: str, tenant_id: str, **changes: Any) -> dict[str, Any]:
    """A sample ECS event about `tenant_id`'s service (tags and ARNs rewritten), with a fresh event id."""
    event: dict[str, Any] = json.loads(json.dumps(sample_event(name)).replace(SAMPLE_TENANT, tenant_id))
    event["id"] = str(uuid.uuid4())
    event.update(changes)
    return event


def put_instance(store: ItemStore, status: str, *, env: str = "dev", desired: int = 2) -> str:
    tenant_id = f"ten_{uuid.uuid4().hex[:26]}"
    store.put(
        {
            "pk": keys.tenant_pk(tenant_id),
            "sk": keys.instance_sk(env),
            **keys.instance_indexes(tenant_id, env),
            "type": "instance",
            "instanceId": f"ins_{uuid.uuid4().hex[:26]}",
            "tenantId": tenant_id,
            "environment": env,
            "status": status,
            "desiredCount": desired,
            "runningCount": 0,
            "wordpressVersion": "6.8",
            "phpVersion": "8.3",
            "settings": {},
            "resources": {},
            "pendingOperationId": None,
            "createdAt": "2026-03-02T09:00:00.000Z",
            "updatedAt": "2026-03-02T09:00:00.000Z",
            "version": 1,
        }
    )
    return tenant_id


def instance(store: ItemStore, tenant_id: str, env: str = "dev") -> dict[str, Any]:
    item = store.get(keys.tenant_pk(tenant_id), keys.instance_sk(env))
    assert item is not None
    return item


def audits(store: ItemStore, tenant_id: str) -> list[dict[str, Any]]:
    return store.query(keys.tenant_pk(tenant_id), sk_prefix="AUDIT#").items


def events(store: ItemStore, tenant_id: str) -> list[dict[str, Any]]:
    return [i["event"] for i in store.query(keys.tenant_pk(tenant_id), sk_prefix="EVENT#").items]


def test_steady_state_makes_a_queued_instance_active(aws_api: ApiHarness) -> None:
    store = aws_api.container.store
    tenant_id = put_instance(store, "WORKFLOW_QUEUED", desired=2)
    event = ecs_event("ecs_service_steady_state.json", tenant_id)

    result = entry.handler(event, None)

    assert result["result"] == "changed" and (result["before"], result["after"]) == ("WORKFLOW_QUEUED", "ACTIVE")
    item = instance(store, tenant_id)
    assert (item["status"], item["runningCount"], item["version"]) == ("ACTIVE", 2, 2)
    assert (item["lastEcsEventId"], item["lastEcsEventTime"]) == (event["id"], "2026-03-02T10:05:00.000Z")
    (audit,) = audits(store, tenant_id)
    assert (audit["action"], audit["resourceType"], audit["actor"]) == (
        "instance.status_changed",
        "instance",
        "ecs-events",
    )
    assert (audit["before"]["status"], audit["after"]["status"]) == ("WORKFLOW_QUEUED", "ACTIVE")
    (fact,) = events(store, tenant_id)
    assert fact["type"] == "bbws.instance.status_changed" and fact["data"]["status"] == "ACTIVE"


def test_impaired_task_start_fails_the_instance(aws_api: ApiHarness) -> None:
    store = aws_api.container.store
    tenant_id = put_instance(store, "ACTIVE")
    result = entry.handler(ecs_event("ecs_service_task_start_impaired.json", tenant_id), None)
    assert result["after"] == "FAILED"
    assert instance(store, tenant_id)["status"] == "FAILED"
    assert [a["after"]["status"] for a in audits(store, tenant_id)] == ["FAILED"]


def test_a_duplicate_delivery_changes_nothing_the_second_time(aws_api: ApiHarness) -> None:
    store = aws_api.container.store
    tenant_id = put_instance(store, "WORKFLOW_QUEUED")
    event = ecs_event("ecs_service_steady_state.json", tenant_id)
    entry.handler(event, None)
    before = instance(store, tenant_id)

    again = entry.handler(event, None)

    assert again["result"] == "ignored" and "duplicate" in again["reason"]
    assert instance(store, tenant_id) == before
    assert len(audits(store, tenant_id)) == 1 and len(events(store, tenant_id)) == 1


def test_an_event_older_than_the_last_applied_is_ignored(aws_api: ApiHarness) -> None:
    store = aws_api.container.store
    tenant_id = put_instance(store, "WORKFLOW_QUEUED")
    entry.handler(ecs_event("ecs_deployment_completed.json", tenant_id), None)  # 10:04:41
    late = ecs_event("ecs_deployment_in_progress.json", tenant_id)  # 10:01:12, delivered late

    result = entry.handler(late, None)

    assert result["result"] == "ignored" and "older than" in result["reason"]
    item = instance(store, tenant_id)
    assert item["status"] == "ACTIVE" and item["lastEcsEventId"] != late["id"]


@pytest.mark.parametrize(
    ("sample", "reason"),
    [
        ("ecs_service_steady_state_other_env.json", "environment prod"),
        ("ecs_service_steady_state_untagged.json", "not a BBWS tenant service"),
        ("ecs_task_state_change.json", "logged only"),
    ],
)
def test_events_for_others_are_ignored_and_logged(
    aws_api: ApiHarness, sample: str, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = aws_api.container.store
    tenant_id = put_instance(store, "WORKFLOW_QUEUED")
    event = ecs_event(sample, tenant_id)
    before = instance(store, tenant_id)

    with caplog.at_level("INFO", logger="bbws.aws.ecs_events"):
        result = entry.handler(event, None)

    assert result["result"] == "ignored" and reason in result["reason"]
    assert instance(store, tenant_id) == before and audits(store, tenant_id) == []
    assert any(event["id"] in r.getMessage() and reason in r.getMessage() for r in caplog.records)


def test_an_event_for_an_instance_that_does_not_exist_is_ignored(aws_api: ApiHarness) -> None:
    result = entry.handler(ecs_event("ecs_service_steady_state.json", f"ten_{uuid.uuid4().hex[:26]}"), None)
    assert result["result"] == "ignored" and "no instance record" in result["reason"]


def test_steady_at_zero_tasks_finishes_a_stop(aws_api: ApiHarness) -> None:
    store = aws_api.container.store
    tenant_id = put_instance(store, "SUSPENDING", desired=3)
    entry.handler(ecs_event("ecs_service_steady_state.json", tenant_id), None)
    item = instance(store, tenant_id)
    assert (item["status"], item["runningCount"], item["desiredCount"]) == ("SUSPENDED", 0, 3)


def test_events_while_deprovisioning_are_recorded_without_a_status_change(aws_api: ApiHarness) -> None:
    store = aws_api.container.store
    tenant_id = put_instance(store, "DEPROVISIONING")
    event = ecs_event("ecs_service_task_start_impaired.json", tenant_id)
    result = entry.handler(event, None)
    assert result["result"] == "recorded"
    item = instance(store, tenant_id)
    assert item["status"] == "DEPROVISIONING" and item["lastEcsEventId"] == event["id"]
    assert audits(store, tenant_id) == []


def test_an_untagged_deployment_event_is_known_by_its_service_arn(aws_api: ApiHarness) -> None:
    store = aws_api.container.store
    tenant_id = put_instance(store, "ACTIVE")
    result = entry.handler(ecs_event("ecs_deployment_in_progress.json", tenant_id), None)
    assert (result["result"], result["after"]) == ("changed", "PROVISIONING")


class RacingStore:
    """The real store, with another writer changing the instance just before this handler's first write."""

    def __init__(self, store: ItemStore, tenant_id: str, status: str) -> None:
        self.store, self.tenant_id, self.status, self.raced = store, tenant_id, status, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def transact(self, ops: list[Op]) -> None:
        if not self.raced:
            self.raced = True
            item = instance(self.store, self.tenant_id)
            self.store.put({**item, "status": self.status, "version": item["version"] + 1})
        self.store.transact(ops)


def test_a_write_that_loses_a_race_reads_again_and_decides_on_the_new_status(aws_api: ApiHarness) -> None:
    store = aws_api.container.store
    tenant_id = put_instance(store, "ACTIVE")
    aws_api.container.store = RacingStore(store, tenant_id, "SUSPENDING")  # type: ignore[assignment]
    try:
        result = entry.handler(ecs_event("ecs_service_steady_state.json", tenant_id), None)
    finally:
        aws_api.container.store = store
    # Read before the race, the event was "already ACTIVE"; read again, it finishes the stop that raced it.
    assert (result["before"], result["after"]) == ("SUSPENDING", "SUSPENDED")
    item = instance(store, tenant_id)
    assert (item["status"], item["version"]) == ("SUSPENDED", 3)
