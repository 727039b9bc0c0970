"""How a site's plugins and themes, and the drift reports, are shown: each item with the links to change it."""

from __future__ import annotations

from typing import Any

from bbws.core.links import act, href, links
from bbws.core.pagination import with_query


def _site_href(site: dict[str, Any]) -> str:
    return href("tenants", site["tenantId"], "sites", site["siteId"])


def item_public(site: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
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


def site_plugins_public(
    site: dict[str, Any], items: list[dict[str, Any]], drift: list[dict[str, Any]]
) -> dict[str, Any]:
    """Every plugin and theme of the site (declared and actual) and the drift, as one unpaged list."""
    return {
        "items": [item_public(site, i) for i in items],
        "startAt": None,
        "moreAvailable": False,
        "drift": drift,
        "_links": links(
            self=f"{_site_href(site)}/plugins",
            site=_site_href(site),
            install=act(f"{_site_href(site)}/plugins"),
            drift=f"{_site_href(site)}/drift",
        ),
    }


def drift_public(site: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "_links": links(self=f"{_site_href(site)}/drift", site=_site_href(site), plugins=f"{_site_href(site)}/plugins"),
    }


def tenant_drift_public(tenant_id: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The drift of each site of a tenant, and how many drift."""
    return {
        "tenantId": tenant_id,
        "items": [drift_public({"tenantId": tenant_id, "siteId": r["siteId"]}, r) for r in rows],
        "sitesWithDrift": sum(1 for r in rows if r["drift"]),
        "_links": links(
            self=href("tenants", tenant_id, "drift"),
            tenant=href("tenants", tenant_id),
            sites=href("tenants", tenant_id, "sites"),
        ),
    }
