"""How sites and what is kept under them (backups, promotions, health) are shown: public fields (never
credentials) plus `_links` for the actions their state allows."""

from __future__ import annotations

from typing import Any

from bbws.core.errors import ApiError
from bbws.core.links import act, href, links
from bbws.sites.models import NEXT_ENVIRONMENT, HealthStatus, PromotionStatus, SiteAction, SiteStatus, allowed_actions

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


def backup_public(item: dict[str, Any]) -> dict[str, Any]:
    site = href("tenants", item["tenantId"], "sites", item["siteId"])
    shown = (
        "backupId",
        "siteId",
        "tenantId",
        "status",
        "reason",
        "size",
        "checksum",
        "content",
        "createdAt",
        "createdBy",
        "completedAt",
    )
    return {
        **{k: item.get(k) for k in shown},
        "_links": links(self=f"{site}/backups/{item['backupId']}", site=site, restore=f"{site}/restore"),
    }


def promotion_public(item: dict[str, Any]) -> dict[str, Any]:
    sites = href("tenants", item["tenantId"], "sites")
    own = f"{sites}/{item['sourceSiteId']}/promotions/{item['promotionId']}"
    shown = (
        "promotionId",
        "sourceSiteId",
        "targetSiteId",
        "sourceEnvironment",
        "targetEnvironment",
        "status",
        "preBackupId",
        "targetCreated",
        "plan",
        "health",
        "error",
        "requestedBy",
        "createdAt",
        "completedAt",
        "rolledBackAt",
        "rolledBackBy",
        "operationId",
    )
    return {
        **{k: item.get(k) for k in shown},
        "_links": links(
            self=own,
            source=f"{sites}/{item['sourceSiteId']}",
            target=f"{sites}/{item['targetSiteId']}",
            operation=href("operations", item["operationId"]),
            rollback=act(f"{own}/rollback") if item["status"] == PromotionStatus.COMPLETED else None,
        ),
    }


def blockers_public(blockers: list[ApiError], user_agent: str | None) -> list[dict[str, Any]]:
    """The blockers as the dry run shows them: the code and detail the request would answer, and the hint."""
    shown = []
    for error in blockers:
        item = {"code": error.code, "status": error.status, "detail": error.detail}
        if error.hint is not None:
            item["hint"] = error.hint.for_agent(user_agent)
        shown.append(item)
    return shown


def promotion_plan_public(
    source: dict[str, Any],
    target_env: str,
    *,
    target: dict[str, Any] | None,
    plan: dict[str, Any],
    gate: dict[str, Any],
    blockers: list[ApiError],
    user_agent: str | None,
) -> dict[str, Any]:
    """The dry run's answer: the plan (empty when the target environment is not the next one) and what would
    refuse the request."""
    return {
        "dryRun": True,
        "ready": not blockers,
        "blockers": blockers_public(blockers, user_agent),
        "sourceSiteId": source["siteId"],
        "sourceEnvironment": source["environment"],
        "targetEnvironment": target_env,
        "targetSiteId": target["siteId"] if target else None,
        **plan,
        "healthGate": gate,
    }


def health_public(site: dict[str, Any], report: dict[str, Any] | None) -> dict[str, Any]:
    """A health report (None: no check is recorded yet) with the links to its history and to check again."""
    if report is None:
        report = {
            "healthStatus": HealthStatus.UNKNOWN.value,
            "checkedAt": None,
            "checks": [],
            "detail": "no health check is recorded yet",
        }
    own = site_href(site, "health")
    return {
        **report,
        "siteId": site["siteId"],
        "_links": {
            "self": {"href": own},
            "history": {"href": own + "/history"},
            "check": {"href": own, "method": "POST"},
        },
    }


def health_history_public(site: dict[str, Any], hours: float, checks: list[dict[str, Any]]) -> dict[str, Any]:
    """Recorded checks, oldest first, each with its summary only (name, status, HTTP status, latency)."""
    items = [
        {
            "checkedAt": c["checkedAt"],
            "healthStatus": c["healthStatus"],
            "checks": [
                {k: v for k, v in check.items() if k in ("name", "status", "httpStatus", "latencyMs")}
                for check in c["report"].get("checks", [])
            ],
        }
        for c in checks
    ]
    return {
        "siteId": site["siteId"],
        "hours": hours,
        "items": items,
        "_links": {"self": {"href": site_href(site, "health", "history")}},
    }
