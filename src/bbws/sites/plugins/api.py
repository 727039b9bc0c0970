"""Routes of a site's plugins and themes, and the drift reports (thin: parse, authorize, call, render)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Request
from fastapi.responses import JSONResponse

from bbws.core.deps import ActorDep, Authz, Ctr
from bbws.core.router import api_router, check_if_match, etag
from bbws.jobs.api import accepted
from bbws.jobs.schemas import OperationPublic
from bbws.plugins.models import SLUG_PATTERN
from bbws.sites.api_common import SITE, SiteId, TenantId, can_reach_tenant, load_site
from bbws.sites.plugins import requests, service
from bbws.sites.plugins.schemas import (
    Kind,
    SiteDriftPublic,
    SitePluginConfig,
    SitePluginInstall,
    SitePluginList,
    SitePluginPublic,
    SitePluginStatus,
    SitePluginUpdate,
    TenantDriftPublic,
)
from bbws.sites.plugins.views import drift_public, item_public, site_plugins_public, tenant_drift_public

router = api_router("Sites")

PLUGINS = SITE + "/plugins"
PLUGIN = PLUGINS + "/{slug}"
Slug = Annotated[str, Path(pattern=SLUG_PATTERN, description="The plugin's or theme's folder name.")]
KindQuery = Annotated[Kind, Query(description="plugin (default) or theme.")]
# A change is checked at once as far as the platform can without WordPress (these answers change nothing), then
# runs as an Operation holding the site: what only WordPress can tell (PLUG_001 for a package it does not have,
# PLUG_004, THEME_ACTIVE, WP_001) ends that Operation FAILED with the code.
CHANGE_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "SITE_002 (site), PLUG_001 (not in the catalog)"},
    409: {
        "description": "OPERATION_IN_PROGRESS (an operation holds the site), THEME_ACTIVE (the site's theme), "
        "INSTANCE_NOT_FOUND"
    },
    422: {
        "description": "SITE_005 (site not ACTIVE), PLUG_002 (blocklisted), PLUG_003 (vulnerable), "
        "PLUGIN_INCOMPATIBLE (WordPress too old), SITE_001 (option not allowed, or a theme deactivated)"
    },
    412: {"description": "If-Match does not name the site's current version (its ETag)"},
}
# Reads ask WordPress itself: a site with no instance, or a runtime that fails, answers like a change does.
READ_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "SITE_002 (site), PLUG_001 (neither declared nor installed)"},
    409: {"description": "INSTANCE_NOT_FOUND: the site's environment has no instance to ask"},
    502: {"description": "WP_001: WordPress or the runtime failed"},
}


@router.get(
    PLUGINS, response_model=SitePluginList, summary="List a site's plugins and themes (declared vs actual)",
    responses=READ_ERRORS,
)
def list_site_plugins(tenantId: TenantId, siteId: SiteId, ctr: Ctr, authz: Authz) -> JSONResponse:
    """Every plugin and theme the platform declared or WordPress reports, each with both views, and the drift."""
    site = load_site(ctr.store, authz, tenantId, siteId, "sites:read")
    items, drift = service.site_plugins(container=ctr, site=site)
    return JSONResponse(site_plugins_public(site, items, drift), headers={"ETag": etag(site)})


@router.post(
    PLUGINS,
    status_code=202,
    response_model=OperationPublic,
    summary="Install a catalog plugin or theme",
    responses=CHANGE_ERRORS,
)
def install_site_plugin(
    tenantId: TenantId,
    siteId: SiteId,
    body: SitePluginInstall,
    request: Request,
    ctr: Ctr,
    authz: Authz,
    actor: ActorDep,
) -> JSONResponse:
    """By `pluginId`, or `slug` (+ `kind`, `version`: the newest catalog version when omitted); activated unless
    `activate` is false (a theme becomes the site's theme). An Operation holds the site while WordPress installs it;
    its result names the package as installed."""
    site = load_site(ctr.store, authz, tenantId, siteId, "sites:write")
    check_if_match(request, site)
    operation = requests.request_install(container=ctr, actor=actor, site=site, body=body.model_dump())
    return accepted(operation, wake=ctr.wake)


@router.get(
    PLUGIN,
    response_model=SitePluginPublic,
    summary="Get one plugin or theme of a site",
    responses=READ_ERRORS,
)
def get_site_plugin(
    tenantId: TenantId, siteId: SiteId, slug: Slug, ctr: Ctr, authz: Authz, kind: KindQuery = "plugin"
) -> JSONResponse:
    site = load_site(ctr.store, authz, tenantId, siteId, "sites:read")
    found = service.site_plugin(container=ctr, site=site, kind=kind, slug=slug)
    return JSONResponse(item_public(site, found), headers={"ETag": etag(site)})


@router.put(
    PLUGIN + "/status",
    status_code=202,
    response_model=OperationPublic,
    summary="Activate or deactivate a plugin or theme",
    responses=CHANGE_ERRORS,
)
def set_site_plugin_status(
    tenantId: TenantId,
    siteId: SiteId,
    slug: Slug,
    body: SitePluginStatus,
    request: Request,
    ctr: Ctr,
    authz: Authz,
    actor: ActorDep,
    kind: KindQuery = "plugin",
) -> JSONResponse:
    """A theme can only be switched to (`active: true`). A package WordPress ships is declared from then on."""
    site = load_site(ctr.store, authz, tenantId, siteId, "sites:write")
    check_if_match(request, site)
    operation = requests.request_status(
        container=ctr, actor=actor, site=site, kind=kind, slug=slug, active=body.active
    )
    return accepted(operation, wake=ctr.wake)


@router.put(
    PLUGIN + "/config",
    status_code=202,
    response_model=OperationPublic,
    summary="Configure a plugin or theme (options)",
    responses=CHANGE_ERRORS,
)
def configure_site_plugin(
    tenantId: TenantId,
    siteId: SiteId,
    slug: Slug,
    body: SitePluginConfig,
    request: Request,
    ctr: Ctr,
    authz: Authz,
    actor: ActorDep,
    kind: KindQuery = "plugin",
) -> JSONResponse:
    """Writes the options in WordPress and keeps them in the declared configuration (merged; null deletes)."""
    site = load_site(ctr.store, authz, tenantId, siteId, "sites:write")
    check_if_match(request, site)
    operation = requests.request_config(
        container=ctr, actor=actor, site=site, kind=kind, slug=slug, options=body.options
    )
    return accepted(operation, wake=ctr.wake)


@router.put(
    PLUGIN + "/update",
    status_code=202,
    response_model=OperationPublic,
    summary="Update a plugin or theme to a catalog version",
    responses=CHANGE_ERRORS,
)
def update_site_plugin(
    tenantId: TenantId,
    siteId: SiteId,
    slug: Slug,
    body: SitePluginUpdate,
    request: Request,
    ctr: Ctr,
    authz: Authz,
    actor: ActorDep,
    kind: KindQuery = "plugin",
) -> JSONResponse:
    """To `version` or `pluginId`, or the newest catalog version; same checks as install; the active state stays."""
    site = load_site(ctr.store, authz, tenantId, siteId, "sites:write")
    check_if_match(request, site)
    operation = requests.request_update(
        container=ctr, actor=actor, site=site, kind=kind, slug=slug, version=body.version, plugin_id=body.pluginId
    )
    return accepted(operation, wake=ctr.wake)


@router.delete(
    PLUGIN,
    status_code=202,
    response_model=OperationPublic,
    summary="Remove a plugin or theme from a site",
    responses=CHANGE_ERRORS,
)
def remove_site_plugin(
    tenantId: TenantId,
    siteId: SiteId,
    slug: Slug,
    request: Request,
    ctr: Ctr,
    authz: Authz,
    actor: ActorDep,
    kind: KindQuery = "plugin",
) -> JSONResponse:
    """A plugin is deactivated first; the site's active theme cannot be removed (THEME_ACTIVE)."""
    site = load_site(ctr.store, authz, tenantId, siteId, "sites:write")
    check_if_match(request, site)
    operation = requests.request_remove(container=ctr, actor=actor, site=site, kind=kind, slug=slug)
    return accepted(operation, wake=ctr.wake)


@router.get(
    SITE + "/drift", response_model=SiteDriftPublic, summary="Plugin and theme drift of a site", responses=READ_ERRORS
)
def site_drift(tenantId: TenantId, siteId: SiteId, ctr: Ctr, authz: Authz) -> JSONResponse:
    """Where WordPress differs from what the platform declared (missing, unexpected, version, active state, theme)."""
    site = load_site(ctr.store, authz, tenantId, siteId, "sites:read")
    drift = service.site_drift(container=ctr, site=site)
    row = {
        "siteId": site["siteId"],
        "environment": site["environment"],
        "subdomain": site["subdomain"],
        "inSync": not drift,
        "drift": drift,
        "error": None,
    }
    return JSONResponse(drift_public(site, row))


@router.get("/tenants/{tenantId}/drift", response_model=TenantDriftPublic, summary="Plugin and theme drift of a tenant")
def tenant_drift(tenantId: TenantId, ctr: Ctr, authz: Authz) -> JSONResponse:
    """Every ACTIVE site of the tenant the caller may read; a site whose WordPress cannot be asked carries `error`."""
    can_reach_tenant(authz, tenantId)

    def readable(site: dict[str, Any]) -> bool:
        return authz.allowed(
            "sites:read", tenant_id=tenantId, node_path=site.get("nodePath") or "", environment=site["environment"]
        )

    rows = service.tenant_drift(container=ctr, tenant_id=tenantId, can_read=readable)
    return JSONResponse(tenant_drift_public(tenantId, rows))
