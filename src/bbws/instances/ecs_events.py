"""ECS state sync: EventBridge ECS events about a tenant's service move its instance record.

`parse_ecs_event` reads an event (no I/O); `apply_ecs_event` writes what it means to the instance, once per
event, never going back in time, and only along the instance state machine.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

from bbws.core.changes import Actor, Changes
from bbws.core.clock import Clock, iso, parse_iso
from bbws.core.store import ConditionFailed, ItemStore, version_is
from bbws.instances.models import ECS_EVENT_STATUS, InstanceStatus, can_move
from bbws.instances.views import audit_instance
from bbws.tenants import keys

log = logging.getLogger("bbws.instances.ecs_events")

S = InstanceStatus
TENANT_TAG, ENVIRONMENT_TAG = "bbws:tenant-id", "bbws:environment"
# ECS names deployment state changes `SERVICE_DEPLOYMENT_*`; the mapping speaks of `DEPLOYMENT_*`.
EVENT_ALIASES = {
    "SERVICE_DEPLOYMENT_IN_PROGRESS": "DEPLOYMENT_IN_PROGRESS",
    "SERVICE_DEPLOYMENT_COMPLETED": "DEPLOYMENT_COMPLETED",
    "SERVICE_DEPLOYMENT_FAILED": "DEPLOYMENT_FAILED",
}
# Service events carry no tags, so the service ARN's names (the tenant-instance module's) identify the tenant.
SERVICE_ARN = re.compile(r"^arn:[\w-]+:ecs:[\w-]+:\d{12}:service/bbws-cluster-(dev|sit|prod)/tenant-(.+)-wordpress$")
# While the instance goes away, its service's events (impaired tasks, a last steady state) change nothing.
LEAVING = frozenset({S.PENDING_DEPROVISIONING, S.DEPROVISIONING, S.DEPROVISIONED})
# Events that say the service runs as many tasks as it should.
SETTLED_EVENTS = frozenset({"SERVICE_STEADY_STATE", "DEPLOYMENT_COMPLETED"})


@dataclass(frozen=True)
class EcsUpdate:
    """One ECS event about a tenant's service, reduced to what the instance record needs."""

    tenant_id: str
    environment: str
    event_name: str
    status: InstanceStatus
    time: datetime
    event_id: str


@dataclass(frozen=True)
class Outcome:
    """What handling an event did: `changed` the status, only `recorded` it (status kept), or `ignored` it."""

    result: Literal["changed", "recorded", "ignored"]
    reason: str
    tenant_id: str | None = None
    environment: str | None = None
    before: str | None = None
    after: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def parse_ecs_event(event: dict[str, Any], *, environment: str) -> EcsUpdate | None:
    """The update an ECS event makes to an instance of `environment`, or None when it concerns none."""
    found = read_ecs_event(event, environment=environment)
    return found if isinstance(found, EcsUpdate) else None


def read_ecs_event(event: dict[str, Any], *, environment: str) -> EcsUpdate | str:
    """Like `parse_ecs_event`, with the reason (a str) when the event is not for this handler."""
    if event.get("source") != "aws.ecs":
        return f"source {event.get('source')!r} is not aws.ecs"
    detail = event.get("detail") or {}
    if event.get("detail-type") == "ECS Task State Change":
        return f"task state change ({detail.get('lastStatus', '?')}) is logged only"
    name = str(detail.get("eventName", ""))
    name = EVENT_ALIASES.get(name, name)
    if name not in ECS_EVENT_STATUS:
        return f"event {name or '(no eventName)'} does not move instances"
    tenant_id, event_environment = _owner(event, detail)
    if not tenant_id:
        return "no bbws:tenant-id tag and not a BBWS tenant service"
    if event_environment != environment:
        return f"environment {event_environment} is not this handler's ({environment})"
    try:
        when = parse_iso(str(event["time"]))
        event_id = str(event["id"])
    except (KeyError, ValueError):
        return "event without a valid id and time"
    return EcsUpdate(tenant_id, environment, name, ECS_EVENT_STATUS[name], when, event_id)


def apply_ecs_event(*, store: ItemStore, clock: Clock, update: EcsUpdate) -> Outcome:
    """Record the event on the instance and move its status when the state machine allows it."""
    for attempt in range(2):
        item = store.get(keys.tenant_pk(update.tenant_id), keys.instance_sk(update.environment))
        if item is None:
            return _ignored(update, "no instance record")
        if item.get("lastEcsEventId") == update.event_id:
            return _ignored(update, "already applied (duplicate delivery)")
        last = item.get("lastEcsEventTime")
        if last and parse_iso(last) > update.time:
            return _ignored(update, f"older than the last event applied ({last})")
        current = S(item["status"])
        target, reason = next_status(current, update)
        changes = Changes(actor=Actor.system("ecs-events"), now=clock.now())
        after = {
            **item,
            "lastEcsEventId": update.event_id,
            "lastEcsEventTime": iso(update.time),
            "updatedAt": changes.timestamp,
            "version": item["version"] + 1,
        }
        if target is not None:
            after["status"] = target.value
        if update.event_name in SETTLED_EVENTS and current not in LEAVING:
            # Steady means as many tasks as desired: none for a stopped instance.
            stopped = S(after["status"]) in (S.SUSPENDED, S.SUSPENDING)
            after["runningCount"] = 0 if stopped else after.get("desiredCount", 0)
        # Guards: a service write (an action starting, another event) between the read and this write; the loser
        # reads again and decides on the new status rather than overwriting it.
        changes.put(after, version_is(item["version"]))
        if target is not None:
            audit_instance(changes, action="instance.status_changed", before=item, after=after,
                           resource_id=str(item.get("instanceId", f"{update.tenant_id}/{update.environment}")))
        try:
            changes.commit(store)
        except ConditionFailed:
            if attempt == 0:
                continue
            raise
        if target is None:
            return Outcome("recorded", reason, update.tenant_id, update.environment, current.value, current.value)
        return Outcome("changed", reason, update.tenant_id, update.environment, current.value, target.value)
    raise AssertionError("unreachable")  # pragma: no cover


def next_status(current: InstanceStatus, update: EcsUpdate) -> tuple[InstanceStatus | None, str]:
    """The status the event moves the instance to (None: keep it), and why."""
    if current in LEAVING:
        return None, f"{update.event_name} while {current.value}: the instance is going away"
    target = update.status
    if update.event_name in SETTLED_EVENTS and current is S.SUSPENDING:
        target = S.SUSPENDED  # a stop renders no tasks: steady at zero is the stop finished
    if target is current:
        return None, f"{update.event_name}: already {current.value}"
    if target is S.FAILED or can_move(current, target):
        return target, f"{update.event_name}: {current.value} -> {target.value}"
    return None, f"{update.event_name} does not move {current.value} to {target.value}"


def handle_ecs_event(*, store: ItemStore, clock: Clock, event: dict[str, Any], environment: str) -> Outcome:
    """Parse and apply one EventBridge event (what the Lambda entry point does with each)."""
    found = read_ecs_event(event, environment=environment)
    if isinstance(found, str):
        return Outcome("ignored", found)
    return apply_ecs_event(store=store, clock=clock, update=found)


def _owner(event: dict[str, Any], detail: dict[str, Any]) -> tuple[str | None, str | None]:
    """Tenant and environment: from the tags when the event has them, else from the service's ARN."""
    tags = _tags(detail.get("tags"))
    if tags.get(TENANT_TAG):
        return tags[TENANT_TAG], tags.get(ENVIRONMENT_TAG)
    for arn in event.get("resources") or []:
        if match := SERVICE_ARN.match(str(arn)):
            return match.group(2), match.group(1)
    return None, None


def _tags(raw: Any) -> dict[str, str]:
    """ECS lists tags as `[{"key": k, "value": v}]`; a plain mapping is accepted too."""
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    if isinstance(raw, list):
        return {str(t.get("key")): str(t.get("value")) for t in raw if isinstance(t, dict) and "key" in t}
    return {}


def _ignored(update: EcsUpdate, reason: str) -> Outcome:
    return Outcome("ignored", reason, update.tenant_id, update.environment)
