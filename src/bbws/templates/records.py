"""Reading and writing template items: one place that keeps their indexes and status summary in step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bbws.core.changes import Actor, Changes
from bbws.core.clock import Clock
from bbws.core.store import ConditionFailed, ItemStore, version_is
from bbws.templates import keys
from bbws.templates.models import (
    TemplateRef,
    TemplateStatus,
    current_version,
    parse_ref,
    shown_version,
    statuses_of,
    template_not_found,
    template_status,
)

INDEX_FIELDS = ("GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK")
# What a version describes; the template item mirrors them from the version that describes it (`shown_version`).
VERSION_FIELDS = ("themeSlug", "includedPlugins", "minWordPressVersion")


def get_template(*, store: ItemStore, template_id: str) -> dict[str, Any] | None:
    return store.get(keys.PK, keys.template_sk(template_id))


def find_template(*, store: ItemStore, ref: TemplateRef) -> dict[str, Any] | None:
    """By id, or by slug through its guard item (two reads; no index needed)."""
    template_id = ref.name
    if not ref.is_id:
        guard = store.get(*keys.slug_lock(ref.name))
        if guard is None:
            return None
        template_id = guard["templateId"]
    return get_template(store=store, template_id=template_id)


def load(*, store: ItemStore, ref: str) -> tuple[dict[str, Any], TemplateRef]:
    """The template a reference names (visibility aside), or 404 TEMP_001."""
    parsed = parse_ref(ref)
    template = find_template(store=store, ref=parsed)
    if template is None:
        raise template_not_found(ref)
    return template, parsed


def get_version(*, store: ItemStore, template_id: str, number: int) -> dict[str, Any] | None:
    return store.get(keys.PK, keys.version_sk(template_id, number))


def query_all(*, store: ItemStore, prefix: str) -> list[dict[str, Any]]:
    """Every item of the template partition under `prefix` (one template's few items)."""
    return list(store.iterate(keys.PK, sk_prefix=prefix))


def summarized(template: dict[str, Any], statuses: dict[int, TemplateStatus]) -> dict[str, Any]:
    """`template` with its per-version statuses and everything derived from them (status, indexes)."""
    status = template_status(statuses).value
    item = {k: v for k, v in template.items() if k not in INDEX_FIELDS}
    item.update(
        versionStatuses={str(n): s.value for n, s in sorted(statuses.items())},
        status=status,
        currentVersion=current_version(statuses),
        **keys.template_indexes(template["slug"], status, template.get("category")),
    )
    return item


def describe(template: dict[str, Any], version: dict[str, Any] | None) -> dict[str, Any]:
    """Mirror what `version` describes (theme, plugins) onto the template item."""
    if version is None:
        return template
    return {**template, **{k: version.get(k) for k in VERSION_FIELDS}, "shownVersion": version["number"]}


def put_template(
    changes: Changes, before: dict[str, Any], after: dict[str, Any], *, audit: str | None = None
) -> dict[str, Any]:
    """Add the change of a template to a changeset, guarded by the version read (one writer at a time)."""
    moved = {**after, "updatedAt": changes.timestamp, "version": before["version"] + 1}
    changes.put(moved, version_is(before["version"]))
    if audit:
        changes.audit(
            tenant_id=keys.PLATFORM_TENANT,
            action=audit,
            resource_type="template",
            resource_id=before["templateId"],
            before=before,
            after=moved,
        )
    return moved


def needs_description(template: dict[str, Any], statuses: dict[int, TemplateStatus]) -> int | None:
    """The version whose fields the template item should show now, when it is not the one it shows."""
    wanted = shown_version(statuses)
    return wanted if wanted is not None and wanted != template.get("shownVersion") else None


def template_fields(template: dict[str, Any]) -> dict[str, Any]:
    """The template's own fields for merging into a version view (storage keys and the lock counter left out)."""
    skip = {"pk", "sk", "version", "type", "pendingOperationId", "lastOperationId", "versionStatuses", *INDEX_FIELDS}
    return {k: v for k, v in template.items() if k not in skip}


def merged(template: dict[str, Any], version: dict[str, Any]) -> dict[str, Any]:
    """A version with its template's fields (what `find_usable` returns); `version` is the version number."""
    own = {k: v for k, v in version.items() if k not in ("pk", "sk", "version", "type", "number")}
    return {**template_fields(template), **own, "version": version["number"], "versionStatus": version["status"]}


def statuses(template: dict[str, Any]) -> dict[int, TemplateStatus]:
    return statuses_of(template)


def version_item(
    template: dict[str, Any], number: int, status: TemplateStatus, changes: Changes, **fields: Any
) -> dict[str, Any]:
    """A new version record (its archive, checksum and what it holds come in `fields`)."""
    return {
        "pk": keys.PK,
        "sk": keys.version_sk(template["templateId"], number),
        "type": "templateVersion",
        "templateId": template["templateId"],
        "slug": template["slug"],
        "number": number,
        "status": status.value,
        "artifactKey": keys.artifact_key(template["slug"], number, template["templateId"]),
        "checksum": None,
        "size": None,
        "themeSlug": None,
        "includedPlugins": [],
        "plugins": [],
        "minWordPressVersion": None,
        "builtin": bool(template.get("builtin")),
        "sourceTenantId": None,
        "sourceSiteId": None,
        "operationId": None,
        "publishedAt": None,
        "archivedAt": None,
        "createdAt": changes.timestamp,
        "createdBy": changes.actor.sub,
        "updatedAt": changes.timestamp,
        **fields,
        "version": 1,
    }


def with_template(
    *,
    store: ItemStore,
    clock: Clock,
    actor: Actor,
    template_id: str,
    write: Callable[[Changes, dict[str, Any]], Any],
    attempts: int = 5,
) -> Any:
    """Run `write(changes, template)` on a fresh read of the template and commit; a write that lost a race
    with another change of the template (a usage count) is done again on the new read."""
    for attempt in range(attempts):
        template = get_template(store=store, template_id=template_id)
        if template is None:
            raise template_not_found(template_id)  # deleted meanwhile: a client error, so a job is not retried
        changes = Changes(actor=actor, now=clock.now())
        result = write(changes, template)
        try:
            changes.commit(store)
            return result
        except ConditionFailed:
            if attempt == attempts - 1:
                raise
    return None
