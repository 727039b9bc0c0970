"""Routes of a site's plugins and themes, and the drift reports (thin: parse, authorize, call, render)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Request, Response
from fastapi.responses import JSONResponse

from bbws.core.deps import ActorDep, Authz, Ctr
from bbws.core.links import act, href, links
from bbws.core.pagination import with_query
from bbws.core.router import api_router, check_if_match, etag
from bbws.plugins.models import SLUG_PATTERN
from bbws.sites.api_common import SITE, SiteId, TenantId, can_reach_tenant, load_site
from bbws.sites.plugins import service
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

router = api_router("Sites")

PLUGINS = SITE + "/plugins"
PLUGIN = PLUGINS + "/{slug}"
Slug = Annotated[str, Path(pattern=SLUG_PATTERN, description="The plugin's or theme's folder name.")]
KindQuery = Annotated[Kind, Query(description="plugin (default) or theme.")]
CHANGE_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "SITE_002 (site), PLUG_001 (not in the catalog, or not installed on the site)"},
    409: {"description": "OPERATION_IN_PROGRESS, PLUG_004 (already at that version), THEME_ACTIVE"},
    422: {
        "description": "SITE_005 (site not ACTIVE), PLUG_002 (blocklisted), PLUG_003 (vulnerable), "
        "PLUGIN_INCOMPATIBLE (WordPress too old), SITE_001 (option not allowed)"
    },
    412: {"description": "If-Match does not name the site's current version (its ETag)"},
    502: {"description": "WP_001: WordPress or the runtime failed; nothing was declared"},
}
# Reads ask WordPress itself: a site with no instance, or a runtime that fails, answers like a change does.
READ_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "SITE_002 (site), PLUG_001 (neither declared nor installed)"},
    409: {"description": "INSTANCE_NOT_FOUND: the site's environment has no instance to ask"},
    502: {"description": "WP_001: WordPress or the runtime failed"},
}


def _site_href(site: dict[str, Any]) -> str:
    return href("tenants", site["tenantId"], "sites", site["siteId"])


def _item_public(site: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    own = with_query(f"{_site_href(site)}/plugins/{item['slug']}", {"kind": item["kind"]})
    base = f"{_site_href(site)}/plugins/{item['slug']}"
    query = "" if item["kind"] == "plugin" else "?kind=theme"
    active = bool((item.get("actual") or {}).get("active"))
    return {
        **item,
        "_links": links(
            self=own,
            site=_site_href(site),
            status=act(f"{base}/status{query}", "PUT"),
            config=act(f"{base}/config{query}", "PUT"),
            update=act(f"{base}/update{query}", "PUT"),
            delete=act(base + query, "DELETE") if not (item["kind"] == "theme" and active) else None,
        ),
    }


def _drift_public(site: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "_links": links(self=f"{_site_href(site)}/drift", site=_site_href(site), plugins=f"{_site_href(site)}/plugins"),
    }


@router.get(
    PLUGINS, response_model=SitePluginList, summary="List a site's plugins and themes (declared vs actual)",
    responses=READ_ERRORS,
)
def list_site_plugins(tenantId: TenantId, siteId: SiteId, ctr: Ctr, authz: Authz) -> JSONResponse:
    """Every plugin and theme the platform declared or WordPress reports, each with both views, and the drift."""
    site = load_site(ctr.store, authz, tenantId, siteId, "sites:read")
    items, drift = service.site_plugins(container=ctr, site=site)
    return JSONResponse(
        headers={"ETag": etag(site)},
        content={
            "items": [_item_public(site, i) for i in items],
            "startAt": None,
            "moreAvailable": False,
            "drift": drift,
            "_links": links(
                self=f"{_site_href(site)}/plugins",
                site=_site_href(site),
                install=act(f"{_site_href(site)}/plugins"),
                drift=f"{_site_href(site)}/drift",
            ),
        },
    )


@router.post(
    PLUGINS,
    status_code=201,
    response_model=SitePluginPublic,
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
    `activate` is false (a theme becomes the site's theme)."""
    site = load_site(ctr.store, authz, tenantId, siteId, "sites:write")
    check_if_match(request, site)
    item = service.install(container=ctr, actor=actor, site=site, body=body.model_dump())
    shown = _item_public(site, item)
    return JSONResponse(shown, status_code=201, headers={"Location": shown["_links"]["self"]["href"]})


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
    items, _ = service.site_plugins(container=ctr, site=site)
    found = next((i for i in items if i["kind"] == kind and i["slug"] == slug), None)
    if found is None:
        raise service.not_installed(kind, slug)
    return JSONResponse(_item_public(site, found), headers={"ETag": etag(site)})


@router.put(
    PLUGIN + "/status",
    response_model=SitePluginPublic,
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
    """A theme can only be switched to (`active: true`)."""
    site = load_site(ctr.store, authz, tenantId, siteId, "sites:write")
    check_if_match(request, site)
    item = service.set_status(container=ctr, actor=actor, site=site, kind=kind, slug=slug, active=body.active)
    return JSONResponse(_item_public(site, item))


@router.put(
    PLUGIN + "/config",
    response_model=SitePluginPublic,
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
    item = service.configure(container=ctr, actor=actor, site=site, kind=kind, slug=slug, options=body.options)
    return JSONResponse(_item_public(site, item))


@router.put(
    PLUGIN + "/update",
    response_model=SitePluginPublic,
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
    item = service.update(
        container=ctr, actor=actor, site=site, kind=kind, slug=slug, version=body.version, plugin_id=body.pluginId
    )
    return JSONResponse(_item_public(site, item))


@router.delete(PLUGIN, status_code=204, summary="Remove a plugin or theme from a site", responses=CHANGE_ERRORS)
def remove_site_plugin(
    tenantId: TenantId,
    siteId: SiteId,
    slug: Slug,
    request: Request,
    ctr: Ctr,
    authz: Authz,
    actor: ActorDep,
    kind: KindQuery = "plugin",
) -> Response:
    """A plugin is deactivated first; the site's active theme cannot be removed (409 THEME_ACTIVE)."""
    site = load_site(ctr.store, authz, tenantId, siteId, "sites:write")
    check_if_match(request, site)
    service.remove(container=ctr, actor=actor, site=site, kind=kind, slug=slug)
    return Response(status_code=204)


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
    return JSONResponse(_drift_public(site, row))


@router.get("/tenants/{tenantId}/drift", response_model=TenantDriftPublic, summary="Plugin and theme drift of a tenant")
def tenant_drift(tenantId: TenantId, ctr: Ctr, authz: Authz) -> JSONResponse:
    """Every ACTIVE site of the tenant the caller may read; a site whose WordPress cannot be asked carries `error`."""
    can_reach_tenant(authz, tenantId)

    def readable(site: dict[str, Any]) -> bool:
        return authz.allowed(
            "sites:read", tenant_id=tenantId, node_path=site.get("nodePath") or "", environment=site["environment"]
        )

    rows = service.tenant_drift(container=ctr, tenant_id=tenantId, can_read=readable)
    items = [_drift_public({"tenantId": tenantId, "siteId": r["siteId"]}, r) for r in rows]
    return JSONResponse(
        {
            "tenantId": tenantId,
            "items": items,
            "sitesWithDrift": sum(1 for r in rows if r["drift"]),
            "_links": links(
                self=href("tenants", tenantId, "drift"),
                tenant=href("tenants", tenantId),
                sites=href("tenants", tenantId, "sites"),
            ),
        }
    )
