"""What every site route shares: path parameters and loading a site with the caller's right to act on it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

from bbws.core.authorizer import Authorizer
from bbws.core.errors import NotFound
from bbws.core.ids import SITE_ID_PATTERN, TENANT_ID_PATTERN
from bbws.core.store import ItemStore
from bbws.sites.records import get_site, site_not_found

TenantId = Annotated[str, Path(pattern=TENANT_ID_PATTERN, description="Tenant id (`ten_...`).")]
SiteId = Annotated[str, Path(pattern=SITE_ID_PATTERN, description="Site id (`site_...`).")]
SITES = "/tenants/{tenantId}/sites"
SITE = SITES + "/{siteId}"


def can_reach_tenant(authz: Authorizer, tenant_id: str) -> None:
    """404 for a tenant the caller cannot see at all (a role on any of its nodes is enough to go on)."""
    if not authz.can_see_tenant(tenant_id):
        raise NotFound(f"Tenant {tenant_id} was not found.", code="TENANT_NOT_FOUND")


def authorize_site(authz: Authorizer, site: dict[str, Any], permission: str) -> None:
    """Tenant roles apply to the site's node (`teamId`) and the nodes above it; a site the caller may not even
    read is reported as not found; one it may read but not act on is 403 (scopes narrow both)."""
    tenant_id, node = site["tenantId"], site.get("nodePath") or ""
    if not authz.allowed("sites:read", tenant_id=tenant_id, node_path=node):
        raise site_not_found(site["siteId"])
    authz.require(permission, tenant_id=tenant_id, node_path=node, environment=site["environment"])


def load_site(store: ItemStore, authz: Authorizer, tenant_id: str, site_id: str, permission: str) -> dict[str, Any]:
    """The site, once the caller may do `permission` on it (404 tenant/site not visible, 403 visible but not this)."""
    can_reach_tenant(authz, tenant_id)
    site = get_site(store=store, tenant_id=tenant_id, site_id=site_id)
    authorize_site(authz, site, permission)
    return site
