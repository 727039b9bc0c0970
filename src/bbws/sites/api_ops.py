"""Site operation routes: clone, promote (with a dry run), promotions and rollback, backups and restore,
health, apply a template, and new admin credentials."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import Path, Query, Request
from fastapi.responses import JSONResponse

from bbws.core.deps import ActorDep, Authz, Ctr, Pages
from bbws.core.pagination import render_page
from bbws.core.router import api_router
from bbws.core.schemas import page_of
from bbws.instances.service import ready_driver
from bbws.jobs.api import accepted
from bbws.jobs.schemas import OperationPublic
from bbws.sites import backups, history, promotion, readiness, requests, service
from bbws.sites.api_common import SITE, SiteId, TenantId, load_site
from bbws.sites.models import SiteAction
from bbws.sites.schemas import (
    ApplyTemplateBody,
    BackupPublic,
    CloneBody,
    HealthReport,
    PromoteBody,
    PromotionPlan,
    PromotionPublic,
    RestoreBody,
)
from bbws.sites.views import (
    backup_public,
    health_history_public,
    health_public,
    promotion_plan_public,
    promotion_public,
)

router = api_router("Sites")
BackupPage, PromotionPage = page_of(BackupPublic), page_of(PromotionPublic)
PromotionId = Annotated[str, Path(pattern=r"^prm_[0-9a-z]{26}$", description="Promotion id (`prm_...`).")]
BUSY: dict[int | str, dict[str, Any]] = {
    409: {"description": "OPERATION_IN_PROGRESS: another operation is still running on this site"},
    422: {"description": "SITE_005: the site's state does not allow this"},
}


def _page(request: Request, ctr: Ctr, pages: Pages, render: Any, query: Any) -> JSONResponse:
    """A page of items kept under a site (no filters): the cursor in, the rendered page out."""
    page = query(ctr.cursors.start_of(pages.start_at, request.url.path, {}))
    return render_page(
        page, codec=ctr.cursors, path=request.url.path, filters={}, page_size=pages.page_size, render=render
    )


@router.post(
    SITE + "/clone",
    status_code=202,
    response_model=OperationPublic,
    summary="Clone a site",
    responses={**BUSY, 409: {"description": "SITE_003, OPERATION_IN_PROGRESS or INSTANCE_NOT_FOUND"}},
)
def clone_site(
    tenantId: TenantId, siteId: SiteId, body: CloneBody, ctr: Ctr, authz: Authz, actor: ActorDep
) -> JSONResponse:
    """A new site with the same content, files, theme and plugins; every URL rewritten (serialized values too)
    and fresh credentials. `environment` defaults to the source's."""
    source = load_site(ctr.store, authz, tenantId, siteId, "sites:write")
    operation = requests.request_clone(
        store=ctr.store,
        clock=ctr.clock,
        actor=actor,
        authz=authz,
        source=source,
        subdomain=body.subdomain,
        site_name=body.siteName,
        environment=body.environment.value if body.environment else None,
    )
    return accepted(operation, wake=ctr.wake)


@router.post(
    SITE + "/promote",
    status_code=202,
    response_model=OperationPublic,
    summary="Promote a site DEV -> SIT -> PROD",
    responses={
        200: {
            "model": PromotionPlan,
            "description": "dryRun=true: the plan and `ready`, with every blocker the request would answer with; "
            "nothing changed",
        },
        **BUSY,
        409: {
            "description": "OPERATION_IN_PROGRESS, SITE_003 (the subdomain is another site's in the target "
            "environment), INSTANCE_NOT_FOUND or INSTANCE_NOT_ACTIVE (the target environment's instance)"
        },
        422: {
            "description": "SITE_006 (order), SITE_005, SITE_004 (quota of the target environment), "
            "TENANT_NOT_ACTIVE, HEALTH_GATE_FAILED (SIT -> PROD needs the source healthy for the whole lookback "
            "window)"
        },
    },
)
def promote_site(
    tenantId: TenantId,
    siteId: SiteId,
    body: PromoteBody,
    request: Request,
    ctr: Ctr,
    authz: Authz,
    actor: ActorDep,
    dryRun: Annotated[
        bool, Query(description="Return the plan only: what would change in the target, and what blocks it.")
    ] = False,
) -> JSONResponse:
    """Backs the target up, copies the source over it (or makes it), checks its health and puts it back by
    itself when the check fails. Promotion to prod needs a tenant ADMIN; anyone who may read the site may ask
    for the plan (a missing role is then one of its blockers)."""
    source = load_site(ctr.store, authz, tenantId, siteId, "sites:read")
    if dryRun:
        ready = readiness.preview(container=ctr, authz=authz, source=source, target_env=body.target)
        return JSONResponse(promotion_plan_public(
            source, body.target, target=ready.target, plan=ready.plan, gate=ready.gate, blockers=ready.blockers,
            user_agent=request.headers.get("user-agent"),
        ))
    operation = readiness.promote(container=ctr, authz=authz, actor=actor, source=source, target_env=body.target)
    return accepted(operation, wake=ctr.wake)


@router.get(SITE + "/promotions", response_model=PromotionPage, summary="List a site's promotions")
def list_promotions(
    tenantId: TenantId, siteId: SiteId, request: Request, ctr: Ctr, authz: Authz, pages: Pages
) -> JSONResponse:
    """Promotions of this site to the next environment, newest first: who, when, the plan and how it ended."""
    source = load_site(ctr.store, authz, tenantId, siteId, "sites:read")
    return _page(
        request,
        ctr,
        pages,
        promotion_public,
        lambda start: promotion.list_promotions(
            store=ctr.store, source=source, limit=pages.page_size, start_after=start
        ),
    )


@router.get(SITE + "/promotions/{promotionId}", response_model=PromotionPublic, summary="Get a promotion")
def get_promotion(tenantId: TenantId, siteId: SiteId, promotionId: PromotionId, ctr: Ctr, authz: Authz) -> JSONResponse:
    source = load_site(ctr.store, authz, tenantId, siteId, "sites:read")
    item = promotion.get_promotion(store=ctr.store, source=source, promotion_id=promotionId)
    return JSONResponse(promotion_public(item))


@router.post(
    SITE + "/promotions/{promotionId}/rollback",
    status_code=202,
    response_model=OperationPublic,
    summary="Roll a promotion back",
    responses={**BUSY, 409: {"description": "PROMOTION_NOT_ROLLBACKABLE"}},
)
def rollback_promotion(
    tenantId: TenantId, siteId: SiteId, promotionId: PromotionId, ctr: Ctr, authz: Authz, actor: ActorDep
) -> JSONResponse:
    """The target gets its pre-promotion backup back (or, when the promotion made it, is removed)."""
    source = load_site(ctr.store, authz, tenantId, siteId, "sites:read")
    operation = promotion.request_rollback(
        store=ctr.store, clock=ctr.clock, actor=actor, authz=authz, source=source, promotion_id=promotionId
    )
    return accepted(operation, wake=ctr.wake)


@router.post(
    SITE + "/backup", status_code=202, response_model=OperationPublic, summary="Back a site up", responses=BUSY
)
def backup_site(tenantId: TenantId, siteId: SiteId, ctr: Ctr, authz: Authz, actor: ActorDep) -> JSONResponse:
    """The database and wp-content in one archive with a sha256; the oldest beyond the retention are removed."""
    site = load_site(ctr.store, authz, tenantId, siteId, "sites:write")
    operation = service.request_action(
        store=ctr.store, clock=ctr.clock, actor=actor, site=site, action=SiteAction.BACKUP
    )
    return accepted(operation, wake=ctr.wake)


@router.get(SITE + "/backups", response_model=BackupPage, summary="List a site's backups")
def list_backups(
    tenantId: TenantId, siteId: SiteId, request: Request, ctr: Ctr, authz: Authz, pages: Pages
) -> JSONResponse:
    site = load_site(ctr.store, authz, tenantId, siteId, "sites:read")
    return _page(
        request,
        ctr,
        pages,
        backup_public,
        lambda start: backups.list_backups(store=ctr.store, site=site, limit=pages.page_size, start_after=start),
    )


@router.post(
    SITE + "/restore",
    status_code=202,
    response_model=OperationPublic,
    summary="Restore a backup",
    responses={**BUSY, 404: {"description": "BACKUP_NOT_FOUND: no such backup of this site"}},
)
def restore_site(
    tenantId: TenantId, siteId: SiteId, body: RestoreBody, ctr: Ctr, authz: Authz, actor: ActorDep
) -> JSONResponse:
    """Checks the archive's sha256, puts database and wp-content back, then compares the content with what the
    backup recorded; a mismatch fails the operation."""
    site = load_site(ctr.store, authz, tenantId, siteId, "sites:write")
    operation = requests.request_restore(
        store=ctr.store, clock=ctr.clock, actor=actor, site=site, backup_id=body.backupId
    )
    return accepted(operation, wake=ctr.wake)


@router.get(SITE + "/health", response_model=HealthReport, summary="A site's latest health check")
def site_health(tenantId: TenantId, siteId: SiteId, ctr: Ctr, authz: Authz) -> JSONResponse:
    """The latest recorded check (periodic, asked for with `POST`, or made by an operation); reading it checks
    nothing and changes nothing. Before the first check: `healthStatus` UNKNOWN, `checkedAt` null, no checks."""
    site = load_site(ctr.store, authz, tenantId, siteId, "sites:read")
    item = history.latest(store=ctr.store, site=site)
    return JSONResponse(health_public(site, dict(item["report"]) if item else None))


@router.post(SITE + "/health", response_model=HealthReport, summary="Check a site's health now")
def check_site_health(tenantId: TenantId, siteId: SiteId, ctr: Ctr, authz: Authz, actor: ActorDep) -> JSONResponse:
    """Real checks against the running site now: front page, `/wp-json/`, login page (status and latency), the
    database, versions, WordPress's own Site Health tests and plugin drift; recorded in the site's history (and
    the audit trail) and answered. A site that does not run (PROVISIONING, DELETED, no instance) is not checked:
    `healthStatus` UNKNOWN, nothing recorded."""
    site = load_site(ctr.store, authz, tenantId, siteId, "sites:write")
    report = requests.check_now(container=ctr, driver=ready_driver(ctr), actor=actor, site=site, audited=True)
    return JSONResponse(health_public(site, report))


@router.get(SITE + "/health/history", summary="A site's recorded health checks")
def health_history(
    tenantId: TenantId,
    siteId: SiteId,
    ctr: Ctr,
    authz: Authz,
    hours: Annotated[float, Query(gt=0, le=24 * 30, description="How far back.")] = 24,
) -> JSONResponse:
    """Every check in the window (periodic, on demand, and after operations), oldest first."""
    site = load_site(ctr.store, authz, tenantId, siteId, "sites:read")
    since = ctr.clock.now() - timedelta(hours=hours)
    checks = history.history(store=ctr.store, site=site, since=since)
    return JSONResponse(health_history_public(site, hours, list(checks)))


@router.post(
    SITE + "/apply-template",
    status_code=202,
    response_model=OperationPublic,
    summary="Apply a template to a site",
    responses=BUSY,
)
def apply_template(
    tenantId: TenantId, siteId: SiteId, body: ApplyTemplateBody, ctr: Ctr, authz: Authz, actor: ActorDep
) -> JSONResponse:
    """Replaces the site's content, theme and plugins with the template's; a backup is taken first."""
    site = load_site(ctr.store, authz, tenantId, siteId, "sites:write")
    operation = requests.request_apply_template(
        store=ctr.store, clock=ctr.clock, actor=actor, authz=authz, site=site, template_ref=body.templateId
    )
    return accepted(operation, wake=ctr.wake)
