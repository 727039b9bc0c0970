"""Catalog use cases: upload, read, list, blocklist or flag, delete entries; what sites call to install one."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from bbws.core.artifacts import ArtifactMissing, ArtifactStore, sha256_of
from bbws.core.changes import Actor, Changes
from bbws.core.clock import Clock
from bbws.core.container import Container
from bbws.core.errors import ApiError, Conflict, UnprocessableEntity
from bbws.core.ids import new_id
from bbws.core.store import NOT_EXISTS, ConditionFailed, ItemStore, Key, Page, version_is
from bbws.plugins import keys, models
from bbws.plugins.package import inspect_package

log = logging.getLogger("bbws.plugins")


class ArchiveUnusable(ApiError):
    """The stored zip of an entry is gone or is not the file that was uploaded (its checksum differs)."""

    status, code, title = 409, "PLUGIN_ARCHIVE_UNUSABLE", "The catalog entry's archive cannot be used"


# -- reads ---------------------------------------------------------------------------------------------------
def get_entry(*, store: ItemStore, plugin_id: str) -> dict[str, Any]:
    """One catalog entry, or 404 PLUG_001."""
    item = store.get(*keys.entry_key(plugin_id))
    if item is None:
        raise models.plugin_not_found(plugin_id)
    return item


def find_entry(*, store: ItemStore, kind: str, slug: str, version: str | None = None) -> dict[str, Any]:
    """The entry of (kind, slug, version), or the newest version when `version` is None; 404 PLUG_001."""
    if version is not None:
        lock = store.get(*keys.version_lock(kind, slug, version))
        if lock is not None:
            found = store.get(*keys.entry_key(lock["pluginId"]))
            if found is not None:
                return found
        raise models.version_not_found(kind, slug, version)
    page = store.query(
        keys.slug_partition(slug), index=keys.SLUG_INDEX, sk_prefix=keys.kind_prefix(kind), descending=True, limit=1
    )
    if not page.items:
        raise models.version_not_found(kind, slug, None)
    return page.items[0]


def list_entries(
    *,
    store: ItemStore,
    kind: str | None = None,
    slug: str | None = None,
    include_blocklisted: bool = False,
    limit: int = 20,
    start_after: Key | None = None,
) -> Page:
    """A page of entries: of one slug (by kind, then version), of one kind (by slug, then version), or all
    (in upload order). Blocklisted entries are left out unless asked for."""
    filters = None if include_blocklisted else {"blocklisted": False}
    if slug:
        return store.query(
            keys.slug_partition(slug),
            index=keys.SLUG_INDEX,
            sk_prefix=keys.kind_prefix(kind) if kind else "",
            limit=limit,
            start_after=start_after,
            filters=filters,
        )
    if kind:
        return store.query(
            keys.kind_partition(kind), index=keys.KIND_INDEX, limit=limit, start_after=start_after, filters=filters
        )
    return store.query(
        keys.CATALOG_PK, sk_prefix=keys.ENTRY_PREFIX, limit=limit, start_after=start_after, filters=filters
    )


# -- writes --------------------------------------------------------------------------------------------------
def upload_package(
    *,
    store: ItemStore,
    artifacts: ArtifactStore,
    clock: Clock,
    actor: Actor,
    settings: Any,
    source: Path,
) -> dict[str, Any]:
    """Inspect the zip at `source`, store it and add its catalog entry; nothing is kept when any step refuses."""
    info = inspect_package(source, max_bytes=settings.plugin_max_bytes)
    if info.slug in models.blocklist_of(settings.plugin_blocklist):
        raise _blocklisted(info.slug, "the platform blocklist")
    lock_key = keys.version_lock(info.kind, info.slug, info.version)
    existing = store.get(*lock_key)
    if existing is not None:
        raise models.duplicate(info.kind, info.slug, info.version, existing)
    changes = Changes(actor=actor, now=clock.now())
    plugin_id = new_id("plg", now_ms=int(changes.now.timestamp() * 1000))
    key = models.artifact_key(info.kind, info.slug, info.version, plugin_id)
    stored = artifacts.put(key, source)
    item = {
        "pk": keys.CATALOG_PK,
        "sk": keys.entry_key(plugin_id)[1],
        **keys.entry_indexes(info.kind, info.slug, info.version),
        "type": "plugin",
        "pluginId": plugin_id,
        **info.fields(),
        "checksum": stored.sha256,
        "size": stored.size,
        "artifactKey": key,
        "blocklisted": False,
        "vulnerable": False,
        "vulnerabilities": [],
        "uploadedAt": changes.timestamp,
        "uploadedBy": actor.sub,
        "updatedAt": changes.timestamp,
        "version": 1,
    }
    # guards: two uploads of the same kind, slug and version racing past the read above
    changes.put({"pk": lock_key[0], "sk": lock_key[1], "type": "plugin-version", "pluginId": plugin_id}, NOT_EXISTS)
    changes.put(item, NOT_EXISTS)
    _audit(changes, "plugin.uploaded", item, after=item)
    try:
        changes.commit(store)
    except ConditionFailed as exc:
        artifacts.delete(key)
        raise models.duplicate(info.kind, info.slug, info.version, store.get(*lock_key)) from exc
    except BaseException:
        artifacts.delete(key)
        raise
    return item


def update_entry(
    *,
    store: ItemStore,
    clock: Clock,
    actor: Actor,
    entry: dict[str, Any],
    blocklisted: bool | None = None,
    vulnerabilities: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """Blocklist (or clear) an entry and set its known vulnerabilities (a non-empty list marks it vulnerable)."""
    if blocklisted is None and vulnerabilities is None:
        raise UnprocessableEntity("Send `blocklisted`, `vulnerabilities` or both.", code="NOTHING_TO_UPDATE")
    changes = Changes(actor=actor, now=clock.now())
    after = dict(entry)
    if blocklisted is not None:
        after["blocklisted"] = blocklisted
    if vulnerabilities is not None:
        after["vulnerabilities"] = vulnerabilities
        after["vulnerable"] = bool(vulnerabilities)
    after.update(updatedAt=changes.timestamp, updatedBy=actor.sub, version=entry["version"] + 1)
    changes.put(after, version_is(entry["version"]))  # guards: two admins changing the entry at once
    _audit(changes, "plugin.updated", after, before=entry, after=after)
    try:
        changes.commit(store)
    except ConditionFailed as exc:
        raise Conflict(
            f"Plugin {entry['pluginId']} changed meanwhile; read it again and retry.", code="PLUG_004"
        ) from exc
    return after


def delete_entry(
    *, store: ItemStore, artifacts: ArtifactStore, clock: Clock, actor: Actor, entry: dict[str, Any]
) -> None:
    """Remove the entry, its uniqueness guard and its zip (sites that installed it keep their copy)."""
    changes = Changes(actor=actor, now=clock.now())
    changes.delete(entry["pk"], entry["sk"], version_is(entry["version"]))  # guards: a change made meanwhile
    changes.delete(*keys.version_lock(entry["kind"], entry["slug"], entry["pluginVersion"]))
    _audit(changes, "plugin.deleted", entry, before=entry)
    try:
        changes.commit(store)
    except ConditionFailed as exc:
        raise Conflict(
            f"Plugin {entry['pluginId']} changed meanwhile; read it again and retry.", code="PLUG_004"
        ) from exc
    try:
        artifacts.delete(entry["artifactKey"])
    except Exception:  # the entry is gone, so nothing can reach the zip any more; it only costs space
        log.exception("plugin archive not removed", extra={"artifactKey": entry["artifactKey"]})


def _audit(changes: Changes, action: str, item: dict[str, Any], **states: dict[str, Any]) -> None:
    changes.audit(
        tenant_id=models.PLATFORM_AUDIT_TENANT,
        action=action,
        resource_type="plugin",
        resource_id=item["pluginId"],
        **states,
    )


# -- what sites use ------------------------------------------------------------------------------------------
def _blocklisted(slug: str, where: str) -> UnprocessableEntity:
    return UnprocessableEntity(
        f"{slug!r} is blocklisted ({where}); it cannot be uploaded or installed.", code="PLUG_002", slug=slug
    )


def check_installable(*, settings: Any, entry: dict[str, Any], wordpress_version: str) -> None:
    """422 PLUG_002 (blocklisted), PLUG_003 (known-vulnerable version) or PLUGIN_INCOMPATIBLE (WordPress too
    old) when the entry must not be installed on a site running `wordpress_version`."""
    if entry["slug"] in models.blocklist_of(settings.plugin_blocklist):
        raise _blocklisted(entry["slug"], "the platform blocklist")
    if entry.get("blocklisted"):
        raise _blocklisted(entry["slug"], f"catalog entry {entry['pluginId']}")
    if entry.get("vulnerable"):
        vulnerabilities = list(entry.get("vulnerabilities") or [])
        ids = ", ".join(v["id"] for v in vulnerabilities) or "unnamed"
        raise UnprocessableEntity(
            f"{entry['kind'].capitalize()} {entry['slug']} {entry['pluginVersion']} has known vulnerabilities "
            f"({ids}); install a fixed version.",
            code="PLUG_003",
            vulnerabilities=vulnerabilities,
        )
    minimum = entry.get("minWordPressVersion")
    if minimum and models.older_than(wordpress_version, minimum):
        raise UnprocessableEntity(
            f"{entry['slug']} {entry['pluginVersion']} requires WordPress {minimum} or newer; "
            f"the site runs {wordpress_version}.",
            code="PLUGIN_INCOMPATIBLE",
            minWordPressVersion=minimum,
            wordpressVersion=wordpress_version,
        )


def archive_of(*, container: Container, entry: dict[str, Any], work_dir: Path) -> Path:
    """A local copy of the entry's zip in `work_dir`, checked against the checksum recorded at upload."""
    dest = work_dir / f"{entry['slug']}-{entry['pluginId']}.zip"
    try:
        container.artifacts.fetch(entry["artifactKey"], dest)
    except ArtifactMissing as exc:
        raise ArchiveUnusable(
            f"The archive of plugin {entry['pluginId']} is missing from the artifact store; upload it again.",
            pluginId=entry["pluginId"],
        ) from exc
    actual = sha256_of(dest)
    if actual != entry["checksum"]:
        dest.unlink(missing_ok=True)
        raise ArchiveUnusable(
            f"The archive of plugin {entry['pluginId']} has sha256 {actual}, not the {entry['checksum']} "
            "recorded at upload: it was changed or damaged; upload it again.",
            pluginId=entry["pluginId"],
        )
    return dest
