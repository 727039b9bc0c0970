"""Template use cases: update, publish and archive versions, delete, resolve for use (making one from a site is
the sites context's: `bbws.sites.templating`)."""

from __future__ import annotations

import logging
from typing import Any

from bbws.core.changes import Actor, Changes
from bbws.core.clock import Clock
from bbws.core.errors import Conflict, UnprocessableEntity
from bbws.core.queue import Job
from bbws.core.store import ConditionFailed, ItemStore, Page, version_is
from bbws.events.outbox import enqueue
from bbws.templates import keys, records
from bbws.templates.archives import archive_for as archive_for  # what the sites jobs call, with find_usable
from bbws.templates.models import (
    TemplateStatus,
    check_transition,
    current_version,
    newest,
    shown_version,
    template_not_found,
    usable_version,
    version_visible,
    visible,
)

log = logging.getLogger("bbws.templates")

MAKE_JOB = "MakeTemplate"
PURGE_JOB = "PurgeTemplate"
T = TemplateStatus


def slug_taken(slug: str) -> Conflict:
    return Conflict(f"The template slug {slug!r} is taken; choose another.", code="TEMPLATE_SLUG_TAKEN", slug=slug)


def busy(template: dict[str, Any]) -> Conflict:
    return Conflict(
        f"Operation {template['pendingOperationId']} is still making a version of this template; wait for it.",
        code="OPERATION_IN_PROGRESS",
        operationId=template["pendingOperationId"],
    )


def update_template(
    *, store: ItemStore, clock: Clock, actor: Actor, template: dict[str, Any], fields: dict[str, Any]
) -> dict[str, Any]:
    """Change name, description or category (the slug names the template for good)."""
    changes = Changes(actor=actor, now=clock.now())
    after = records.summarized({**template, **fields}, records.statuses(template))
    moved = records.put_template(changes, template, after, audit="template.updated")
    _commit(changes, store)
    return moved


def move_version(
    *,
    store: ItemStore,
    clock: Clock,
    actor: Actor,
    template: dict[str, Any],
    number: int | None,
    target: TemplateStatus,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Publish or archive one version (default: publish the newest DRAFT, archive the current one)."""
    statuses = records.statuses(template)
    number = number if number is not None else default_version(statuses, target)
    if number is None:
        verb = "publish" if target is T.PUBLISHED else "archive"
        raise UnprocessableEntity(
            f"Template {template['slug']} has no version to {verb}.",
            code="INVALID_STATUS_TRANSITION",
            versionStatuses=template["versionStatuses"],
        )
    version = records.get_version(store=store, template_id=template["templateId"], number=number)
    if version is None or number not in statuses:
        raise template_not_found(f"{template['slug']}@{number}")
    check_transition(number, T(version["status"]), target)
    changes = Changes(actor=actor, now=clock.now())
    stamp = "publishedAt" if target is T.PUBLISHED else "archivedAt"
    moved_version = {
        **version,
        "status": target.value,
        stamp: changes.timestamp,
        "updatedAt": changes.timestamp,
        "version": version["version"] + 1,
    }
    changes.put(moved_version, version_is(version["version"]))  # guards: two admins moving the same version
    statuses[number] = target
    after = records.summarized(template, statuses)
    shown = records.needs_description(after, statuses)
    if shown is not None:
        described = (
            moved_version
            if shown == number
            else records.get_version(store=store, template_id=template["templateId"], number=shown)
        )
        after = records.describe(after, described)
    action = "template.published" if target is T.PUBLISHED else "template.archived"
    moved = records.put_template(changes, template, after, audit=action)
    _commit(changes, store)
    return moved, moved_version


def default_version(statuses: dict[int, TemplateStatus], target: TemplateStatus) -> int | None:
    """Publish without a number: the newest DRAFT (else the newest version); archive: the current one."""
    if target is T.PUBLISHED:
        return newest(statuses, T.DRAFT) or (max(statuses) if statuses else None)
    return current_version(statuses)


def delete_template(*, store: ItemStore, clock: Clock, actor: Actor, template: dict[str, Any]) -> None:
    """Remove a template none of whose versions is PUBLISHED (409 otherwise). The template and its slug go at
    once; its versions, archives and preview sites are removed by a `PurgeTemplate` job queued with them."""
    statuses = records.statuses(template)
    published = newest(statuses, T.PUBLISHED)
    if published is not None:
        raise Conflict(
            f"Version {published} of template {template['slug']} is PUBLISHED; archive it first.",
            code="TEMPLATE_PUBLISHED",
            versionStatuses=template["versionStatuses"],
        )
    if template.get("pendingOperationId"):
        raise busy(template)
    changes = Changes(actor=actor, now=clock.now())
    changes.delete(keys.PK, template["sk"], version_is(template["version"]))  # guards: a change made meanwhile
    changes.delete(*keys.slug_lock(template["slug"]))
    changes.audit(
        tenant_id=keys.PLATFORM_TENANT,
        action="template.deleted",
        resource_type="template",
        resource_id=template["templateId"],
        before=template,
    )
    enqueue(
        changes, Job(name=PURGE_JOB, tenant_id=keys.PLATFORM_TENANT, payload={"templateId": template["templateId"]})
    )
    _commit(changes, store)


def template_children(*, store: ItemStore, template_id: str) -> list[dict[str, Any]]:
    """Versions, previews and leases of a template (what is left to purge once the template item is gone)."""
    return records.query_all(store=store, prefix=keys.children_prefix(template_id))


def _commit(changes: Changes, store: ItemStore) -> None:
    try:
        changes.commit(store)
    except ConditionFailed as exc:
        raise Conflict("The template changed meanwhile; read it again and retry.") from exc


def list_templates(
    *,
    store: ItemStore,
    status: TemplateStatus | None,
    category: str | None,
    limit: int,
    start_after: dict[str, str] | None,
) -> Page:
    """One index query per page: by status (and category), or every template (category filtered)."""
    if status is not None and category:
        return store.query(
            keys.templates_by_category(status.value, category), index="GSI3", limit=limit, start_after=start_after
        )
    if status is not None:
        return store.query(keys.templates_by_status(status.value), index="GSI1", limit=limit, start_after=start_after)
    filters = {"category": category} if category else None
    return store.query(keys.ALL, index="GSI2", limit=limit, start_after=start_after, filters=filters)


# -- what the sites service calls ---------------------------------------------------------------------------------
def find_usable(*, store: ItemStore, ref: str, platform_admin: bool = False) -> dict[str, Any]:
    """The template version a site is built from: the version record merged with the template's fields
    (templateId, slug, version, artifactKey, checksum, themeSlug, includedPlugins, ...). 404 TEMP_001 for an
    unknown template or version, 422 TEMP_002 for one with no PUBLISHED version (platform admins may name a
    DRAFT version explicitly, `slug@2`)."""
    template, parsed = records.load(store=store, ref=ref)
    number = usable_version(records.statuses(template), parsed.version, ref=ref, platform_admin=platform_admin)
    version = records.get_version(store=store, template_id=template["templateId"], number=number)
    if version is None:
        raise template_not_found(ref)
    return records.merged(template, version)


def count_use(*, store: ItemStore, template_id: str) -> None:
    """One more site made from the template. Best effort: a lost race is retried twice, then given up."""
    for _ in range(3):
        template = records.get_template(store=store, template_id=template_id)
        if template is None:
            return
        bumped = {
            **template,
            "usageCount": int(template.get("usageCount") or 0) + 1,
            "version": template["version"] + 1,
        }
        try:
            store.put(bumped, condition=version_is(template["version"]))  # guards: another change meanwhile
            return
        except ConditionFailed:
            continue
    log.warning("template usage count not updated", extra={"templateId": template_id})


def visible_template(
    *, store: ItemStore, ref: str, platform_admin: bool
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The template (and the version the ref names) as this caller may see it: users see published ones only;
    anything else is TEMPLATE_NOT_FOUND, so a draft is not given away."""
    template, parsed = records.load(store=store, ref=ref)
    statuses = records.statuses(template)
    if not visible(statuses, platform_admin=platform_admin):
        raise template_not_found(ref)
    if parsed.version is None:
        return template, None
    status = statuses.get(parsed.version)
    if status is None or not version_visible(status, platform_admin=platform_admin):
        raise template_not_found(ref)
    version = records.get_version(store=store, template_id=template["templateId"], number=parsed.version)
    if version is None:
        raise template_not_found(ref)
    return template, version


def preview_number(template: dict[str, Any], version: dict[str, Any] | None, *, platform_admin: bool) -> int:
    """The version a preview shows: the one named, else the current one (a platform admin: the one shown)."""
    statuses = records.statuses(template)
    if version:
        number = version["number"]
    else:
        number = shown_version(statuses) if platform_admin else template.get("currentVersion")
    if number is None:
        raise template_not_found(template["slug"])
    return int(number)
