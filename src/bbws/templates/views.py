"""How templates are shown: public fields, what only platform admins see, and `_links` for allowed actions."""

from __future__ import annotations

from typing import Any

from bbws.core.links import act, href, links
from bbws.templates.models import TRANSITIONS, TemplateStatus, statuses_of

T = TemplateStatus
_SHOWN = (
    "templateId",
    "slug",
    "name",
    "description",
    "category",
    "status",
    "builtin",
    "usageCount",
    "currentVersion",
    "themeSlug",
    "includedPlugins",
    "minWordPressVersion",
    "createdAt",
    "updatedAt",
)
_ADMIN_ONLY = ("latestVersion", "versionStatuses", "lastError")
_VERSION_SHOWN = (
    "templateId",
    "slug",
    "themeSlug",
    "includedPlugins",
    "minWordPressVersion",
    "checksum",
    "size",
    "builtin",
    "createdAt",
    "publishedAt",
    "archivedAt",
)


def template_href(template_id: str, *more: str) -> str:
    return href("templates", template_id, *more)


def version_href(template_id: str, number: int) -> str:
    return href("templates", f"{template_id}@{number}")


def admin_href(template_id: str, *more: str) -> str:
    return href("admin", "templates", template_id, *more)


def template_public(
    template: dict[str, Any], *, version: dict[str, Any] | None = None, platform_admin: bool = False
) -> dict[str, Any]:
    """The template as `version` describes it (default: the version it shows, normally the current one)."""
    body = {k: template.get(k) for k in _SHOWN}
    body["includedPlugins"] = list(body["includedPlugins"] or [])
    body["usageCount"] = int(body["usageCount"] or 0)
    number = version["number"] if version else template.get("shownVersion")
    status = statuses_of(template).get(number) if number else None
    body.update(version=number, versionStatus=status.value if status else None)
    if version is not None:
        body.update(
            {k: version.get(k) for k in ("themeSlug", "minWordPressVersion")},
            includedPlugins=list(version.get("includedPlugins") or []),
        )
    for field in _ADMIN_ONLY:
        body[field] = template.get(field) if platform_admin else None
    body["_links"] = _template_links(template, platform_admin=platform_admin)
    return body


def _template_links(template: dict[str, Any], *, platform_admin: bool) -> dict[str, Any]:
    tid = template["templateId"]
    relations: dict[str, Any] = {
        "self": template_href(tid),
        "collection": href("templates"),
        "versions": template_href(tid, "versions"),
        "preview": template_href(tid, "preview"),
        "createPreview": act(template_href(tid, "preview")),
    }
    if platform_admin:
        statuses = statuses_of(template)
        values = set(statuses.values())
        pending = template.get("pendingOperationId")
        relations.update(
            update=act(admin_href(tid), "PUT"),
            newVersion=None if pending else act(admin_href(tid, "versions")),
            publish=act(admin_href(tid, "publish")) if values & {T.DRAFT, T.ARCHIVED} else None,
            archive=act(admin_href(tid, "archive")) if T.PUBLISHED in values else None,
            delete=act(admin_href(tid), "DELETE") if T.PUBLISHED not in values and not pending else None,
            operation=href("operations", pending) if pending else None,
        )
    return links(**relations)


def version_public(version: dict[str, Any], *, platform_admin: bool = False) -> dict[str, Any]:
    body = {k: version.get(k) for k in _VERSION_SHOWN}
    body["includedPlugins"] = list(body["includedPlugins"] or [])
    body["builtin"] = bool(body["builtin"])
    body.update(
        version=version["number"],
        status=version["status"],
        sourceTenantId=version.get("sourceTenantId") if platform_admin else None,
        sourceSiteId=version.get("sourceSiteId") if platform_admin else None,
    )
    tid, number, status = version["templateId"], version["number"], T(version["status"])
    relations: dict[str, Any] = {
        "self": version_href(tid, number),
        "template": template_href(tid),
        "preview": href("templates", f"{tid}@{number}", "preview"),
    }
    if platform_admin:
        relations.update(
            publish=act(admin_href(tid, "publish")) if T.PUBLISHED in TRANSITIONS[status] else None,
            archive=act(admin_href(tid, "archive")) if T.ARCHIVED in TRANSITIONS[status] else None,
        )
    body["_links"] = links(**relations)
    return body


def preview_public(preview: dict[str, Any], *, answering: bool | None = None) -> dict[str, Any]:
    """`answering=False` (a made preview whose instance is not running now) shows as STOPPED."""
    status = preview["status"]
    if status == "READY" and answering is False:
        status = "STOPPED"
    tid, number = preview["templateId"], preview["number"]
    return {
        "templateId": tid,
        "version": number,
        "status": status,
        "url": preview.get("url"),
        "error": preview.get("error"),
        "createdAt": preview["createdAt"],
        "readyAt": preview.get("readyAt"),
        "_links": links(
            self=href("templates", f"{tid}@{number}", "preview"),
            template=template_href(tid),
            operation=href("operations", preview["operationId"]) if preview.get("operationId") else None,
            site=preview.get("url") if status == "READY" else None,
        ),
    }
