"""What the operation routes do for a resource whose context this process does not load (the tenant service runs
as its own Lambda, without sites, instances or templates): a cancelled operation's release is queued as a job
that a worker, which has every context's hooks, runs; where the resource sits in the tenant's tree is read from
its record."""

from __future__ import annotations

from typing import Any

from bbws.core.changes import Actor, Changes
from bbws.core.handlers import JobContext
from bbws.core.hooks import ReleaseHook, ResourceNode
from bbws.core.keys import tenant_pk
from bbws.core.queue import Job
from bbws.core.store import ItemStore
from bbws.jobs import keys

RELEASE_JOB = "ReleaseOperation"


def release_later(changes: Changes, store: ItemStore, operation: dict[str, Any]) -> None:
    """Queue the release in the changeset that ends the operation, so it happens if and only if that commits."""
    job = Job(
        name=RELEASE_JOB,
        tenant_id=operation["tenantId"],
        payload={"operationId": operation["operationId"], "sub": changes.actor.sub,
                 "requestId": changes.actor.request_id},
    )
    changes.outbox(kind="job", tenant_id=job.tenant_id, message_id=job.message_id, body=job.to_dict())


def run_release(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Let go of what an ended operation held, with its resource type's own hook (each hook only releases a
    resource still held by this operation, so a second delivery changes nothing)."""
    store = ctx.container.store
    operation = store.get(*keys.operation_key(job.tenant_id, job.payload["operationId"]))
    hook: ReleaseHook | None = ctx.container.hooks.release.get(str((operation or {}).get("resourceType")))
    if operation is None or hook is None or hook is release_later:
        return {"released": False}
    actor = Actor(sub=job.payload.get("sub") or "system", request_id=job.payload.get("requestId") or "")
    changes = Changes(actor=actor, now=ctx.container.clock.now())
    hook(changes, store, operation)
    changes.commit(store)
    return {"released": True}


def stored_node(sk_prefix: str) -> ResourceNode:
    """The node path a resource's record in the tenant partition carries (`{sk_prefix}{resourceId}`)."""

    def node(store: ItemStore, operation: dict[str, Any]) -> str:
        item = store.get(tenant_pk(operation["tenantId"]), f"{sk_prefix}{operation['resourceId']}")
        return str((item or {}).get("nodePath") or "")

    return node


HANDLERS = {RELEASE_JOB: run_release}
