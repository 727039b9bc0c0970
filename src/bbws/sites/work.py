"""Worker side of site operations: run each job once through the runtime driver, settle every site the
operation holds, and let go of them when an operation ends without its job (cancelled, failed, dead)."""

from __future__ import annotations

import logging
from typing import Any

from bbws.core.changes import Actor, Changes
from bbws.core.links import href
from bbws.events.outbox import enqueue
from bbws.instances.driver import DriverError
from bbws.instances.runtime import bring_back, driver_of
from bbws.instances.service import spec_of
from bbws.instances.work import DEPROVISION_HOOKS
from bbws.jobs.operations import RELEASE_HOOKS
from bbws.jobs.queue import Job
from bbws.jobs.registry import JobContext, PermanentFailure, registry
from bbws.sites import history, keys, service
from bbws.sites.context import SiteContext
from bbws.sites.models import SiteAction, SiteStatus, settled_status
from bbws.sites.records import instance_of, put_site, tenant_sites
from bbws.sites.requests import check_now
from bbws.store.port import ItemStore
from bbws.tenants import keys as tenant_keys

log = logging.getLogger("bbws.sites")
A, S = SiteAction, SiteStatus
CLEANUP_JOB = "CleanUpSite"
# When a job fails, these holds leave the site FAILED (its files or database may be half changed); the others
# go back to the status the site had (an update, a suspension or a backup that failed changed nothing).
CHANGING = frozenset(
    {
        (A.CREATE, "self"),
        (A.CLONE, "self"),
        (A.PROMOTE, "target"),
        (A.RESTORE, "self"),
        (A.APPLY_TEMPLATE, "self"),
        (A.DELETE, "self"),
    }
)


# Failures found before anything was changed: the sites go back as they were, whatever the action.
UNTOUCHED = frozenset({"BACKUP_CORRUPT", "BACKUP_INVALID", "INSTANCE_NOT_FOUND"})


def site_result(site: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "message": f"Site is {site['status']}.",
        "siteId": site["siteId"],
        "status": site["status"],
        "url": site.get("url"),
        **extra,
        "_links": {"site": {"href": href("tenants", site["tenantId"], "sites", site["siteId"])}},
    }


def ended(operation_id: str) -> dict[str, Any]:
    return {
        "pendingOperationId": None,
        "pendingAction": None,
        "pendingRole": None,
        "previousStatus": None,
        "lastOperationId": operation_id,
    }


def settle(
    changes: Changes, site: dict[str, Any], operation_id: str, *, audit: str | None = None, **fields: Any
) -> dict[str, Any]:
    """The site let go by its operation, in its final status (by default where its action ends)."""
    if "status" not in fields:
        fields["status"] = settled_status(A(site["pendingAction"]), S(site.get("previousStatus") or site["status"]))
    fields.setdefault("lastError", None)
    return put_site(changes, site, audit=audit, **ended(operation_id), **fields)


def forget(changes: Changes, store: ItemStore, site: dict[str, Any]) -> None:
    """A site that is gone: its subdomain is free again and it no longer counts against the quota."""
    pk, sk = keys.subdomain_lock(site["environment"], site["subdomain"])
    owner = store.get(pk, sk)
    if owner is not None and owner["siteId"] == site["siteId"]:
        changes.delete(pk, sk)
    service.release_slot(changes, store, site["tenantId"], site["environment"])


def fail_hold(
    changes: Changes,
    store: ItemStore,
    site: dict[str, Any],
    operation_id: str,
    reason: str,
    *,
    cancelled: bool = False,
    untouched: bool = False,
) -> None:
    """Let go of a site whose operation ended without finishing: FAILED (and its leftovers cleaned up) when the
    work may have changed it half way, back as it was otherwise; a cancelled create leaves nothing at all."""
    action, role = A(site["pendingAction"]), site.get("pendingRole") or "self"
    created = site.get("previousStatus") is None and S(site["status"]) == S.PROVISIONING
    if cancelled and created:
        after = settle(changes, site, operation_id, audit="site.released", status=S.DELETED.value)
        forget(changes, store, after)
        return
    failed = (action, role) in CHANGING and not cancelled and not (untouched and not created)
    status = S.FAILED.value if failed else (site.get("previousStatus") or S.FAILED.value)
    settle(
        changes,
        site,
        operation_id,
        audit="site.failed" if failed else "site.released",
        status=status,
        lastError=reason if failed else site.get("lastError"),
    )
    if created and failed:
        enqueue(changes, Job(name=CLEANUP_JOB, tenant_id=site["tenantId"], payload={"siteId": site["siteId"]}))


def held_by(store: ItemStore, tenant_id: str, operation_id: str) -> list[dict[str, Any]]:
    """Every site of the tenant an operation holds (the job's own site, and a clone's source or promotion's target)."""
    return [s for s in tenant_sites(store, tenant_id) if s.get("pendingOperationId") == operation_id]


def release(changes: Changes, store: ItemStore, operation: dict[str, Any]) -> None:
    cancelled = operation["status"] == "CANCELLED"
    reason = (operation.get("error") or {}).get("detail", "The operation failed.")
    for site in held_by(store, operation["tenantId"], operation["operationId"]):
        fail_hold(changes, store, site, operation["operationId"], reason, cancelled=cancelled)


RELEASE_HOOKS["site"] = release


def _run(job: Job, ctx: JobContext) -> dict[str, Any]:
    from bbws.sites import steps  # steps build on this module's settle/forget

    op = ctx.operation or {}
    actor = Actor(sub=op.get("createdBy", "system"), request_id=op.get("requestId", ""))
    try:
        site_ctx = SiteContext.of(ctx.container, actor, str(job.operation_id or job.message_id))
    except DriverError as exc:
        raise PermanentFailure(exc.reason) from exc
    store, op_id = site_ctx.store, str(job.operation_id)
    site = store.get(tenant_keys.tenant_pk(job.tenant_id), keys.site_sk(job.payload["siteId"]))
    if site is None:
        raise PermanentFailure(f"site {job.payload['siteId']} is gone")
    if site.get("lastOperationId") == op_id:
        return site_result(site)  # done by an earlier delivery of this job
    if site.get("pendingOperationId") != op_id:
        raise PermanentFailure(f"site {site['siteId']} is no longer waiting for operation {op_id}")
    action = A(job.payload["action"])
    bring_back(ctx.container, tenant_id=site["tenantId"], environment=site["environment"])  # not back yet
    try:
        return steps.STEPS[action](site_ctx, site, job.payload.get("params") or {}, ctx.report)
    except DriverError as exc:
        if exc.retryable:
            raise
        changes = site_ctx.changes()
        untouched = exc.code in UNTOUCHED
        for held in held_by(store, site["tenantId"], op_id):
            fail_hold(changes, store, held, op_id, exc.reason, untouched=untouched)
        changes.commit(store)
        raise PermanentFailure(exc.reason, code=exc.code) from exc
    finally:
        site_ctx.clean()


for _action, _name in service.JOBS.items():
    registry.register(_name)(_run)


@registry.register(CLEANUP_JOB)
def clean_up(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Remove what a failed create left in the runtime (the FAILED record stays until the user deletes it)."""
    store = ctx.container.store
    site = store.get(tenant_keys.tenant_pk(job.tenant_id), keys.site_sk(job.payload["siteId"]))
    if site is None or site["status"] != S.FAILED:
        return {"cleaned": False}
    instance = instance_of(store, site["tenantId"], site["environment"])
    if instance is not None:
        driver_of(ctx.container).delete_site(spec_of(instance), site["key"])
    return {"cleaned": True}


@registry.register(history.CHECK_JOB)
def check_health(job: Job, ctx: JobContext) -> dict[str, Any]:
    """The periodic check of one serving site (skipped when an operation holds it or it stopped serving)."""
    site = ctx.container.store.get(tenant_keys.tenant_pk(job.tenant_id), keys.site_sk(job.payload["siteId"]))
    if site is None or site["status"] != S.ACTIVE or site.get("pendingOperationId"):
        return {"checked": False}
    bring_back(ctx.container, tenant_id=site["tenantId"], environment=site["environment"])
    report = check_now(
        container=ctx.container, driver=driver_of(ctx.container), actor=Actor.system("health"), site=site
    )
    return {"checked": True, "healthStatus": report["healthStatus"]}


def forget_sites_of(store: ItemStore, clock: Any, actor: Actor, instance: dict[str, Any]) -> None:
    """The instance is gone (its deletion exported each site first): its sites end DELETED, their subdomains and
    quota free. One site per transaction, so a tenant with many sites never outgrows one; a retry goes on."""
    for site in tenant_sites(store, instance["tenantId"]):
        if site["environment"] != instance["environment"] or site["status"] == S.DELETED:
            continue
        changes = Changes(actor=actor, now=clock.now())
        fields = {**ended(site.get("pendingOperationId") or ""), "lastOperationId": site.get("lastOperationId")}
        after = put_site(
            changes,
            site,
            audit="site.deleted",
            status=S.DELETED.value,
            url=None,
            lastError=f"its instance {instance['instanceId']} was deleted",
            **fields,
        )
        forget(changes, store, after)
        changes.commit(store)


DEPROVISION_HOOKS.append(forget_sites_of)
