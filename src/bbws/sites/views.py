"""How sites are shown: public fields (never credentials) plus `_links` for the actions their state allows."""

from __future__ import annotations

from typing import Any

from bbws.core.links import act, href, links
from bbws.sites.models import NEXT_ENVIRONMENT, SiteAction, SiteStatus, allowed_actions

_SHOWN = (
    "siteId",
    "tenantId",
    "siteName",
    "subdomain",
    "environment",
    "status",
    "url",
    "lineageId",
    "templateId",
    "teamId",
    "instanceId",
    "wordpressVersion",
    "phpVersion",
    "healthStatus",
    "lastHealthAt",
    "adminEmail",
    "adminUser",
    "tagline",
    "declared",
    "lastError",
    "promotedFrom",
    "clonedFrom",
    "createdAt",
    "createdBy",
    "updatedAt",
    "version",
)


def site_href(site: dict[str, Any], *more: str) -> str:
    return href("tenants", site["tenantId"], "sites", site["siteId"], *more)


def site_public(site: dict[str, Any]) -> dict[str, Any]:
    busy = bool(site.get("pendingOperationId"))
    actions = set() if busy else set(allowed_actions(SiteStatus(site["status"])))
    status = site_href(site, "status")
    promotable = SiteAction.PROMOTE in actions and site["environment"] in NEXT_ENVIRONMENT

    def can(action: SiteAction, url: str, method: str = "POST") -> dict[str, str] | None:
        return act(url, method) if action in actions else None

    return {
        **{k: site.get(k) for k in _SHOWN},
        "healthStatus": site.get("healthStatus") or "UNKNOWN",
        "declared": site.get("declared") or {"plugins": {}, "theme": None},
        "_links": links(
            self=site_href(site),
            collection=href("tenants", site["tenantId"], "sites"),
            tenant=href("tenants", site["tenantId"]),
            site=site.get("url") if site["status"] != SiteStatus.DELETED else None,
            health=site_href(site, "health"),
            backups=site_href(site, "backups"),
            promotions=site_href(site, "promotions"),
            plugins=site_href(site, "plugins"),
            operation=href("operations", site["pendingOperationId"]) if busy else None,
            update=can(SiteAction.UPDATE, site_href(site), "PUT"),
            suspend=can(SiteAction.SUSPEND, status, "PUT"),
            activate=can(SiteAction.ACTIVATE, status, "PUT"),
            clone=can(SiteAction.CLONE, site_href(site, "clone")),
            backup=can(SiteAction.BACKUP, site_href(site, "backup")),
            restore=can(SiteAction.RESTORE, site_href(site, "restore")),
            promote=act(site_href(site, "promote")) if promotable else None,
            applyTemplate=can(SiteAction.APPLY_TEMPLATE, site_href(site, "apply-template")),
            delete=can(SiteAction.DELETE, site_href(site), "DELETE"),
        ),
    }
