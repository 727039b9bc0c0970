"""Tenant lifecycle as long work: the API checks and queues (202 + Operation), the worker applies.

`request_lifecycle` refuses invalid transitions at once (422) and a second action while one is pending (409),
then writes the Operation, marks the tenant with it and queues a `TenantLifecycle` job in one transaction.
The job handler applies the transition once: a redelivered job finds `lastOperationId` and only reports.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bbws.core.changes import Actor, Changes
from bbws.core.clock import Clock
from bbws.core.errors import Conflict
from bbws.core.handlers import Handler, JobContext, PermanentFailure
from bbws.core.queue import Job
from bbws.core.store import ConditionFailed, ItemStore, version_is
from bbws.events.outbox import enqueue
from bbws.jobs.operations import start_operation
from bbws.tenants import keys
from bbws.tenants.models import LifecycleAction, TenantStatus, target_of
from bbws.tenants.service import get_tenant, moved_to

JOB = "TenantLifecycle"
OPERATION_TYPES = {a: f"TENANT_{a.value.upper()}" for a in LifecycleAction}
# What other contexts add to a lifecycle action (instances stop on park, start on unpark, go on delete):
# a precheck may refuse the request (409/422) before anything is queued; a cascade adds its writes (their own
# operations and jobs) to the changeset that moves the tenant, so both happen or neither does.
Precheck = Callable[[ItemStore, dict[str, Any], LifecycleAction], None]
Cascade = Callable[[Changes, ItemStore, dict[str, Any], LifecycleAction], None]
PRECHECKS: list[Precheck] = []
CASCADES: list[Cascade] = []
EVENT_ACTIONS = {
    LifecycleAction.SUSPEND: "tenant.suspended",
    LifecycleAction.RESUME: "tenant.resumed",
    LifecycleAction.PARK: "tenant.parked",
    LifecycleAction.UNPARK: "tenant.unparked",
    LifecycleAction.RETRY: "tenant.retried",
    LifecycleAction.DELETE: "tenant.deprovisioned",
}


def request_lifecycle(
    *,
    store: ItemStore,
    clock: Clock,
    actor: Actor,
    tenant: dict[str, Any],
    action: LifecycleAction,
    reason: str | None = None,
) -> dict[str, Any]:
    """Check the action against the tenant's state now, then queue it; returns the PENDING Operation."""
    target_of(action, TenantStatus(tenant["status"]))
    for precheck in PRECHECKS:
        precheck(store, tenant, action)
    if tenant.get("pendingOperationId"):
        raise Conflict(
            f"Operation {tenant['pendingOperationId']} is still running on this tenant; wait for it or cancel it.",
            code="OPERATION_IN_PROGRESS",
            operationId=tenant["pendingOperationId"],
        )
    changes = Changes(actor=actor, now=clock.now())
    operation = start_operation(
        changes,
        tenant_id=tenant["tenantId"],
        operation_type=OPERATION_TYPES[action],
        resource_type="tenant",
        resource_id=tenant["tenantId"],
    )
    marked = {**tenant, "pendingOperationId": operation["operationId"], "version": tenant["version"] + 1}
    changes.put(marked, version_is(tenant["version"]))  # guards: two actions racing for the same tenant
    enqueue(
        changes,
        Job(
            name=JOB,
            tenant_id=tenant["tenantId"],
            operation_id=operation["operationId"],
            payload={"action": action.value, "reason": reason},
        ),
    )
    try:
        changes.commit(store)
    except ConditionFailed as exc:
        raise Conflict("The tenant changed meanwhile; read it again and retry.") from exc
    return operation


def apply_lifecycle(
    *,
    store: ItemStore,
    clock: Clock,
    actor: Actor,
    tenant_id: str,
    operation_id: str,
    action: LifecycleAction,
    reason: str | None,
) -> dict[str, Any]:
    """Move the tenant (exactly once per operation) and return the operation's result."""
    tenant = get_tenant(store=store, tenant_id=tenant_id)
    if tenant.get("lastOperationId") == operation_id:
        return _result(tenant)  # applied by an earlier delivery of this job
    if tenant.get("pendingOperationId") != operation_id:
        raise PermanentFailure(f"tenant {tenant_id} is no longer waiting for operation {operation_id}")
    target = target_of(action, TenantStatus(tenant["status"]))
    changes = Changes(actor=actor, now=clock.now())
    extra = _event_data(action, tenant_id, reason, changes)
    moved = moved_to(tenant, target, changes, reason=reason, action=EVENT_ACTIONS[action], event_data=extra)
    if action is LifecycleAction.DELETE:
        changes.delete(*keys.org_name_lock(tenant["organizationName"]))
    if target is TenantStatus.PENDING:  # retry: onboarding runs again (until instances exist it only activates)
        moved = moved_to(moved, TenantStatus.ACTIVE, changes, reason=None, action="tenant.activated")
    final = {**moved, "pendingOperationId": None, "lastOperationId": operation_id, "version": tenant["version"] + 1}
    changes.put(final, version_is(tenant["version"]))  # guards: nothing else moved the tenant meanwhile
    for cascade in CASCADES:
        cascade(changes, store, final, action)
    changes.commit(store)
    return _result(final)


def release(changes: Changes, store: ItemStore, operation: dict[str, Any]) -> None:
    """An operation that ended without applying (cancelled, failed) no longer blocks its tenant."""
    tenant = store.get(keys.tenant_pk(operation["tenantId"]), keys.TENANT_SK)
    if tenant and tenant.get("pendingOperationId") == operation["operationId"]:
        changes.put(
            {**tenant, "pendingOperationId": None, "version": tenant["version"] + 1}, version_is(tenant["version"])
        )




def _event_data(action: LifecycleAction, tenant_id: str, reason: str | None, changes: Changes) -> dict[str, Any]:
    """The BBWS payload fields of TENANT_PARKED / TENANT_UNPARKED (and their siblings)."""
    data: dict[str, Any] = {"tenantId": tenant_id, "timestamp": changes.timestamp}
    if action is LifecycleAction.PARK:
        data.update(reason=reason, parkedBy=changes.actor.sub)
    elif action is LifecycleAction.UNPARK:
        data["unparkedBy"] = changes.actor.sub
    elif reason:
        data["reason"] = reason
    return data


def _result(tenant: dict[str, Any]) -> dict[str, Any]:
    return {
        "message": f"Tenant is {tenant['status']}.",
        "tenantId": tenant["tenantId"],
        "status": tenant["status"],
        "_links": {"tenant": {"href": f"/v1.0/tenants/{tenant['tenantId']}"}},
    }


def handle_tenant_lifecycle(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Worker side of every tenant lifecycle call."""
    container = ctx.container
    op = ctx.operation or {}
    return apply_lifecycle(
        store=container.store,
        clock=container.clock,
        actor=Actor(sub=op.get("createdBy", "system"), request_id=op.get("requestId", "")),
        tenant_id=job.tenant_id,
        operation_id=str(job.operation_id),
        action=LifecycleAction(job.payload["action"]),
        reason=job.payload.get("reason"),
    )


HANDLERS: dict[str, Handler] = {JOB: handle_tenant_lifecycle}
