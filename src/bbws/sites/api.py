"""Site routes: list, create, get, update, delete and status (thin: parse, authorize, call, render)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request, Response
from fastapi.responses import JSONResponse

from bbws.core.deps import ActorDep, Authz, Ctr, Pages
from bbws.core.errors import UnprocessableEntity
from bbws.core.pagination import render_page
from bbws.core.router import api_router, check_if_match, etag, not_modified
from bbws.core.schemas import page_of
from bbws.instances.models import Environment
from bbws.jobs.api import accepted
from bbws.jobs.schemas import OperationPublic
from bbws.sites import requests, service
from bbws.sites.api_common import SITE, SITES, SiteId, TenantId, load_site
from bbws.sites.models import SiteAction, SiteStatus
from bbws.sites.schemas import SiteCreate, SitePublic, SiteStatusBody, SiteUpdate
from bbws.sites.views import site_public

router = api_router("Sites")
SitePage = page_of(SitePublic)
BUSY: dict[int | str, dict[str, Any]] = {
    409: {"description": "OPERATION_IN_PROGRESS: another operation is still running on this site"},
    422: {"description": "SITE_005: the site's state does not allow this"},
}


@router.get(SITES, response_model=SitePage, summary="List the tenant's sites")
def list_sites(
    tenantId: TenantId,
    request: Request,
    ctr: Ctr,
    authz: Authz,
    pages: Pages,
    environment: Annotated[Environment | None, Query(description="Only sites of this environment.")] = None,
    status: Annotated[SiteStatus | None, Query(description="Only sites in this status.")] = None,
) -> JSONResponse:
    """Sites of every environment, oldest first; with a role on a team only, the sites of that team."""
    filters = {"environment": environment.value if environment else None, "status": status.value if status else None}
    scope = {k: v for k, v in filters.items() if v}
    start = ctr.cursors.start_of(pages.start_at, request.url.path, scope)
    page = service.list_sites(store=ctr.store, tenant_id=tenantId, limit=pages.page_size, start_after=start, **filters)
    envs = authz.principal.scoped("env")
    rows = [
        s
        for s in page.items
        if (envs is None or s["environment"] in envs)
        and authz.allowed("sites:read", tenant_id=tenantId, node_path=s.get("nodePath") or "")
    ]
    return render_page(
        page,
        codec=ctr.cursors,
        path=request.url.path,
        filters=scope,
        page_size=pages.page_size,
        render=site_public,
        items=rows,
    )


@router.post(
    SITES,
    status_code=202,
    response_model=OperationPublic,
    summary="Create a site",
    responses={
        400: {"description": "VALIDATION_ERROR, or SITE_001: a reserved subdomain"},
        404: {"description": "TEMP_001 (no such template), PLUG_001 (no such plugin), NODE_NOT_FOUND"},
        409: {
            "description": "SITE_003 (subdomain taken in that environment), INSTANCE_NOT_FOUND or "
            "INSTANCE_NOT_ACTIVE (the environment has no running instance)"
        },
        422: {"description": "SITE_004 (quota of the tier reached), TENANT_NOT_ACTIVE, TEMP_002, PLUG_002, PLUG_003"},
    },
)
def create_site(tenantId: TenantId, body: SiteCreate, ctr: Ctr, authz: Authz, actor: ActorDep) -> JSONResponse:
    """A new WordPress site in the tenant's instance for the environment, from a template and with catalog
    plugins when asked. Poll the Operation: its `result` holds `siteId` and `_links.site`."""
    operation = requests.request_create(
        store=ctr.store,
        settings=ctr.settings,
        clock=ctr.clock,
        actor=actor,
        authz=authz,
        tenant_id=tenantId,
        body=body.model_dump(mode="json"),
    )
    return accepted(operation, wake=ctr.wake)


@router.get(
    SITE,
    response_model=SitePublic,
    summary="Get a site",
    responses={304: {"description": "Not modified (If-None-Match)"}},
)
def get_site(tenantId: TenantId, siteId: SiteId, request: Request, ctr: Ctr, authz: Authz) -> Response:
    site = load_site(ctr.store, authz, tenantId, siteId, "sites:read")
    return not_modified(request, site) or JSONResponse(site_public(site), headers={"ETag": etag(site)})


@router.put(
    SITE,
    status_code=202,
    response_model=OperationPublic,
    summary="Update a site (title, tagline, email)",
    responses={**BUSY, 412: {"description": "If-Match does not match"}},
)
def update_site(
    tenantId: TenantId,
    siteId: SiteId,
    body: SiteUpdate,
    request: Request,
    ctr: Ctr,
    authz: Authz,
    actor: ActorDep,
) -> JSONResponse:
    """Changes the record and WordPress's own settings (blogname, blogdescription, admin_email)."""
    site = load_site(ctr.store, authz, tenantId, siteId, "sites:write")
    check_if_match(request, site)
    params = body.model_dump(exclude_none=True, mode="json")
    if not params:
        raise UnprocessableEntity("Send at least one field to change.", code="NOTHING_TO_UPDATE")
    operation = service.request_action(
        store=ctr.store, clock=ctr.clock, actor=actor, site=site, action=SiteAction.UPDATE, params=params
    )
    return accepted(operation, wake=ctr.wake)


@router.delete(
    SITE,
    status_code=202,
    response_model=OperationPublic,
    summary="Delete a site (backed up first)",
    responses={**BUSY, 412: {"description": "If-Match does not match"}},
)
def delete_site(
    tenantId: TenantId, siteId: SiteId, request: Request, ctr: Ctr, authz: Authz, actor: ActorDep
) -> JSONResponse:
    """DEPROVISIONING: a backup is taken, then the database, its user and the files go; DELETED. The backup
    stays listed under the site; the subdomain is free again."""
    site = load_site(ctr.store, authz, tenantId, siteId, "sites:delete")
    check_if_match(request, site)
    operation = service.request_action(
        store=ctr.store, clock=ctr.clock, actor=actor, site=site, action=SiteAction.DELETE
    )
    return accepted(operation, wake=ctr.wake)


@router.put(
    SITE + "/status",
    status_code=202,
    response_model=OperationPublic,
    summary="Suspend or activate a site",
    responses=BUSY,
)
def set_status(
    tenantId: TenantId, siteId: SiteId, body: SiteStatusBody, ctr: Ctr, authz: Authz, actor: ActorDep
) -> JSONResponse:
    """`suspend`: the site answers 503 with a maintenance page (data kept); `activate`: it serves again."""
    site = load_site(ctr.store, authz, tenantId, siteId, "sites:write")
    operation = service.request_action(
        store=ctr.store, clock=ctr.clock, actor=actor, site=site, action=SiteAction(body.action)
    )
    return accepted(operation, wake=ctr.wake)


def site_response(site: dict[str, Any]) -> JSONResponse:
    return JSONResponse(site_public(site), headers={"ETag": etag(site)})
