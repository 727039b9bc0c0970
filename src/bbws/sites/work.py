"""Worker side of site operations: run each job once through the runtime driver, settle every site the
operation holds, and let go of them when an operation ends without its job (cancelled, failed, dead)."""

from __future__ import annotations

import logging
from typing import Any

from bbws.core.changes import Actor, Changes
from bbws.core.driver import DriverError
from bbws.core.handlers import ClaimedJob, Handler, JobContext, PermanentFailure
from bbws.core.queue import Job
from bbws.core.store import ItemStore
from bbws.instances.runtime import bring_back
from bbws.instances.service import spec_of
from bbws.sites import history, holds, keys, service, steps
from bbws.sites.context import SiteContext
from bbws.sites.holds import CLEANUP_JOB, UNTOUCHED, ended, fail_hold, forget, held_by, site_result
from bbws.sites.models import SiteAction, SiteStatus
from bbws.sites.records import instance_of, put_site, tenant_sites
from bbws.sites.requests import check_now
from bbws.tenants import keys as tenant_keys

log = logging.getLogger("bbws.sites")
A, S = SiteAction, SiteStatus


class SiteJob(ClaimedJob):
    """Every site operation: one step of `steps.STEPS` through the runtime driver, settling every site the
    operation holds. A refusal of the runtime fails each of them (or leaves it as it was when nothing changed)."""

    kind = "site"
    release = staticmethod(holds.release)

    def load(self, job: Job, ctx: JobContext) -> dict[str, Any] | None:
        return ctx.container.store.get(tenant_keys.tenant_pk(job.tenant_id), keys.site_sk(job.payload["siteId"]))

    def name_of(self, job: Job, item: dict[str, Any] | None) -> str:
        return str(job.payload["siteId"])

    def done(self, item: dict[str, Any]) -> dict[str, Any]:
        return site_result(item)

    def run(self, job: Job, ctx: JobContext, item: dict[str, Any]) -> dict[str, Any]:
        try:
            site_ctx = SiteContext.of(ctx.container, ctx.actor, str(job.operation_id))
        except DriverError as exc:
            raise PermanentFailure(exc.reason) from exc
        store, op_id = site_ctx.store, str(job.operation_id)
        bring_back(ctx.container, tenant_id=item["tenantId"], environment=item["environment"])  # not back yet
        try:
            return steps.STEPS[A(job.payload["action"])](site_ctx, item, job.payload.get("params") or {}, ctx.report)
        except DriverError as exc:
            if exc.retryable:
                raise
            changes = site_ctx.changes()
            untouched = exc.code in UNTOUCHED
            for held in held_by(store, item["tenantId"], op_id):
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
        ctx.container.runtime.get().delete_site(spec_of(instance), site["key"])
    return {"cleaned": True}


def check_health(job: Job, ctx: JobContext) -> dict[str, Any]:
    """The periodic check of one serving site (skipped when an operation holds it or it stopped serving)."""
    site = ctx.container.store.get(tenant_keys.tenant_pk(job.tenant_id), keys.site_sk(job.payload["siteId"]))
    if site is None or site["status"] != S.ACTIVE or site.get("pendingOperationId"):
        return {"checked": False}
    bring_back(ctx.container, tenant_id=site["tenantId"], environment=site["environment"])
    report = check_now(
        container=ctx.container, driver=ctx.container.runtime.get(), actor=Actor.system("health"), site=site
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
    **{name: SiteJob() for name in service.JOBS.values()},
    CLEANUP_JOB: clean_up,
    history.CHECK_JOB: check_health,
}
