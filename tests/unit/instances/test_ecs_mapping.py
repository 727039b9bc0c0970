"""ECS events -> instance updates: parsing the sample events and the status each moves an instance to."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bbws.instances.ecs_events import EcsUpdate, next_status, parse_ecs_event, read_ecs_event
from bbws.instances.models import ECS_EVENT_STATUS, InstanceStatus

S = InstanceStatus
EVENTS = Path(__file__).parents[2] / "events"
TENANT = "ten_01jd3m8x2v9k4q7r5t6w8y0z1a"

# sample file -> (event name, status) it maps to for the dev handler, or the words of the reason it is ignored
EXPECTED: dict[str, tuple[str, InstanceStatus] | str] = {
    "ecs_service_steady_state.json": ("SERVICE_STEADY_STATE", S.ACTIVE),
    "ecs_service_task_start_impaired.json": ("SERVICE_TASK_START_IMPAIRED", S.FAILED),
    "ecs_service_desired_count_updated.json": ("SERVICE_DESIRED_COUNT_UPDATED", S.SCALING),
    "ecs_deployment_in_progress.json": ("DEPLOYMENT_IN_PROGRESS", S.PROVISIONING),
    "ecs_deployment_completed.json": ("DEPLOYMENT_COMPLETED", S.ACTIVE),
    "ecs_deployment_failed.json": ("DEPLOYMENT_FAILED", S.FAILED),
    "ecs_task_state_change.json": "logged only",
    "ecs_service_steady_state_untagged.json": "not a BBWS tenant service",
    "ecs_service_steady_state_other_env.json": "environment prod",
}


def sample(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / name).read_text()))


def test_every_sample_event_is_covered() -> None:
    assert {p.name for p in EVENTS.glob("ecs_*.json")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_events(name: str) -> None:
    event, expected = sample(name), EXPECTED[name]
    assert event["source"] == "aws.ecs" and event["detail-type"].startswith("ECS ")
    found = read_ecs_event(event, environment="dev")
    if isinstance(expected, str):
        assert isinstance(found, str) and expected in found
        assert parse_ecs_event(event, environment="dev") is None
        return
    assert isinstance(found, EcsUpdate)
    assert (found.tenant_id, found.environment) == (TENANT, "dev")
    assert (found.event_name, found.status) == expected
    assert found.event_id == event["id"]
    assert found.time == datetime.fromisoformat(event["time"].replace("Z", "+00:00"))


def test_the_other_environments_event_is_for_that_environments_handler() -> None:
    found = parse_ecs_event(sample("ecs_service_steady_state_other_env.json"), environment="prod")
    assert found is not None and (found.environment, found.status) == ("prod", S.ACTIVE)


def test_tags_win_over_the_service_arn_and_may_be_a_mapping() -> None:
    event = sample("ecs_service_steady_state.json")
    event["detail"]["tags"] = {"bbws:tenant-id": "ten-other", "bbws:environment": "dev"}
    found = parse_ecs_event(event, environment="dev")
    assert found is not None and found.tenant_id == "ten-other"


def test_an_untagged_event_of_a_tenant_service_is_known_by_its_arn() -> None:
    event = sample("ecs_deployment_in_progress.json")
    assert "tags" not in event["detail"]
    found = parse_ecs_event(event, environment="dev")
    assert found is not None and found.tenant_id == TENANT


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"source": "bbws.tenant-management"}, "not aws.ecs"),
        ({"detail": {"eventName": "TASKSET_STEADY_STATE"}}, "does not move instances"),
        ({"time": "yesterday"}, "valid id and time"),
    ],
)
def test_events_that_move_nothing(change: dict[str, Any], reason: str) -> None:
    event = {**sample("ecs_service_steady_state.json"), **change}
    found = read_ecs_event(event, environment="dev")
    assert isinstance(found, str) and reason in found


def update(event_name: str) -> EcsUpdate:
    return EcsUpdate(TENANT, "dev", event_name, ECS_EVENT_STATUS[event_name], datetime(2026, 3, 2, tzinfo=UTC), "e1")


@pytest.mark.parametrize(
    ("current", "event_name", "target"),
    [
        (S.WORKFLOW_QUEUED, "SERVICE_STEADY_STATE", S.ACTIVE),
        (S.WORKFLOW_RUNNING, "DEPLOYMENT_IN_PROGRESS", S.PROVISIONING),
        (S.PROVISIONING, "DEPLOYMENT_COMPLETED", S.ACTIVE),
        (S.SCALING, "SERVICE_STEADY_STATE", S.ACTIVE),
        (S.RESUMING, "SERVICE_STEADY_STATE", S.ACTIVE),
        (S.ACTIVE, "SERVICE_DESIRED_COUNT_UPDATED", S.SCALING),
        (S.FAILED, "SERVICE_STEADY_STATE", S.ACTIVE),
        # a stop renders zero tasks: steady at zero is the stop done
        (S.SUSPENDING, "SERVICE_STEADY_STATE", S.SUSPENDED),
        (S.SUSPENDING, "DEPLOYMENT_COMPLETED", S.SUSPENDED),
        # FAILED is always allowed ...
        (S.ACTIVE, "SERVICE_TASK_START_IMPAIRED", S.FAILED),
        (S.SUSPENDED, "DEPLOYMENT_FAILED", S.FAILED),
        (S.RESUMING, "SERVICE_TASK_START_IMPAIRED", S.FAILED),
        # ... except while the instance goes away, when nothing moves it
        (S.PENDING_DEPROVISIONING, "SERVICE_TASK_START_IMPAIRED", None),
        (S.DEPROVISIONING, "SERVICE_STEADY_STATE", None),
        (S.DEPROVISIONED, "DEPLOYMENT_FAILED", None),
        # moves the state machine does not allow are recorded, not made
        (S.SUSPENDED, "SERVICE_STEADY_STATE", None),
        (S.RESUMING, "SERVICE_DESIRED_COUNT_UPDATED", None),
        (S.SCALING, "DEPLOYMENT_IN_PROGRESS", None),
        (S.COMMITTING, "SERVICE_STEADY_STATE", None),
        # and a status the instance already has is no move
        (S.ACTIVE, "SERVICE_STEADY_STATE", None),
        (S.FAILED, "DEPLOYMENT_FAILED", None),
    ],
)
def test_next_status(current: InstanceStatus, event_name: str, target: InstanceStatus | None) -> None:
    moved, reason = next_status(current, update(event_name))
    assert moved == target
    assert event_name in reason
