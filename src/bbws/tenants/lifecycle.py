"""Tenant lifecycle as long work: the API checks and queues (202 + Operation), the worker applies.

`request_lifecycle` refuses invalid transitions at once (422) and a second action while one is pending (409),
then writes the Operation, marks the tenant with it and queues a `TenantLifecycle` job in one transaction.
The job handler applies the transition once: a redelivered job finds `lastOperationId` and only reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bbws.core.changes import Actor, Changes
from bbws.core.clock import Clock
from bbws.core.errors import Conflict
from bbws.core.handlers import ClaimedJob, Handler, JobContext
from bbws.core.hooks import TenantCascade, TenantPrecheck
from bbws.core.queue import Job
from bbws.core.store import ConditionFailed, ItemStore, version_is
from bbws.events.outbox import enqueue
from bbws.jobs.operations import start_operation
from bbws.tenants import keys
from bbws.tenants.models import LifecycleAction, TenantStatus, target_of
from bbws.tenants.service import moved_to

JOB = "TenantLifecycle"
OPERATION_TYPES = {a: f"TENANT_{a.value.upper()}" for a in LifecycleAction}
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
    prechecks: Sequence[TenantPrecheck] = (),
) -> dict[str, Any]:
    """Check the action against the tenant's state now, then queue it; returns the PENDING Operation.
    `prechecks` are what other contexts check first (instances: none of them is busy)."""
    target_of(action, TenantStatus(tenant["status"]))
    for precheck in prechecks:
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
    changes: Changes,
    store: ItemStore,
    *,
    tenant: dict[str, Any],
    operation_id: str,
    action: LifecycleAction,
    reason: str | None,
    cascades: Sequence[TenantCascade] = (),
) -> dict[str, Any]:
    """Move the tenant claimed by the operation and return the operation's result. `cascades` add other
    contexts' writes to the same changeset (instances stop on park, start on unpark, go on delete)."""
    tenant_id = tenant["tenantId"]
    target = target_of(action, TenantStatus(tenant["status"]))
    extra = _event_data(action, tenant_id, reason, changes)
    moved = moved_to(tenant, target, changes, reason=reason, action=EVENT_ACTIONS[action], event_data=extra)
    if action is LifecycleAction.DELETE:
        changes.delete(*keys.org_name_lock(tenant["organizationName"]))
    if target is TenantStatus.PENDING:  # retry: onboarding runs again (until instances exist it only activates)
        moved = moved_to(moved, TenantStatus.ACTIVE, changes, reason=None, action="tenant.activated")
    final = {**moved, "pendingOperationId": None, "lastOperationId": operation_id, "version": tenant["version"] + 1}
    changes.put(final, version_is(tenant["version"]))  # guards: nothing else moved the tenant meanwhile
    for cascade in cascades:
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


class TenantLifecycleJob(ClaimedJob):
    """Worker side of every tenant lifecycle call: the tenant moves exactly once per operation."""

    kind = "tenant"
    release = staticmethod(release)

    def load(self, job: Job, ctx: JobContext) -> dict[str, Any] | None:
        return ctx.container.store.get(keys.tenant_pk(job.tenant_id), keys.TENANT_SK)

    def name_of(self, job: Job, item: dict[str, Any] | None) -> str:
        return job.tenant_id

    def done(self, item: dict[str, Any]) -> dict[str, Any]:
        return _result(item)

    def run(self, job: Job, ctx: JobContext, item: dict[str, Any]) -> dict[str, Any]:
        return apply_lifecycle(
            ctx.changes(),
            ctx.container.store,
            tenant=item,
            operation_id=str(job.operation_id),
            action=LifecycleAction(job.payload["action"]),
            reason=job.payload.get("reason"),
            cascades=ctx.container.hooks.tenant_cascades,
        )


HANDLERS: dict[str, Handler] = {JOB: TenantLifecycleJob()}
