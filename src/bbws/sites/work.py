"""Worker side of site operations: run each job once through the runtime driver, settle every site the
operation holds, and let go of them when an operation ends without its job (cancelled, failed, dead)."""

from __future__ import annotations

import logging
from typing import Any

from bbws.core.changes import Actor, Changes
from bbws.core.handlers import Handler, JobContext, PermanentFailure
from bbws.core.queue import Job
from bbws.core.store import ItemStore
from bbws.instances.driver import DriverError
from bbws.instances.runtime import bring_back, driver_of
from bbws.instances.service import spec_of
from bbws.sites import history, keys, service, steps
from bbws.sites.context import SiteContext
from bbws.sites.holds import CLEANUP_JOB, UNTOUCHED, ended, fail_hold, forget, held_by, site_result
from bbws.sites.models import SiteAction, SiteStatus
from bbws.sites.records import instance_of, put_site, tenant_sites
from bbws.sites.requests import check_now
from bbws.tenants import keys as tenant_keys

log = logging.getLogger("bbws.sites")
A, S = SiteAction, SiteStatus


def _run(job: Job, ctx: JobContext) -> dict[str, Any]:
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




HANDLERS: dict[str, Handler] = {
    **{name: _run for name in service.JOBS.values()},
    CLEANUP_JOB: clean_up,
    history.CHECK_JOB: check_health,
}
