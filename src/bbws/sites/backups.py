"""Site backups: the database and wp-content in one archive with a sha256, kept by a retention count,
and restores that are verified (checksum before, content after)."""

from __future__ import annotations

from typing import Any

from bbws.core.artifacts import ArtifactMissing, sha256_of
from bbws.core.changes import Changes
from bbws.core.driver import DriverError, InstanceSpec
from bbws.core.errors import NotFound
from bbws.core.store import NOT_EXISTS, ItemStore, Page, version_is
from bbws.sites import keys
from bbws.sites.context import SiteContext, site_spec
from bbws.sites.models import BackupStatus
from bbws.sites.records import newest_first
from bbws.sites.views import backup_public
from bbws.tenants import keys as tenant_keys

# Tables whose rows are the site's content: a restore must bring them back exactly (users and options are
# rewritten by the restore itself: fresh credentials, the site's own title and URL).
CONTENT_TABLES = (
    "posts",
    "postmeta",
    "terms",
    "term_taxonomy",
    "term_relationships",
    "termmeta",
    "comments",
    "commentmeta",
)
PINNED_REASONS = frozenset({"pre-promotion"})  # kept while a promotion may still be rolled back to them


def artifact_key(site: dict[str, Any], backup_id: str) -> str:
    return f"backups/{site['tenantId'].lower()}/{site['siteId']}/{backup_id}.tar.gz"


def new_backup(changes: Changes, site: dict[str, Any], backup_id: str, reason: str) -> dict[str, Any]:
    """A PENDING backup record, added to `changes`."""
    item = {
        "pk": tenant_keys.tenant_pk(site["tenantId"]),
        "sk": keys.backup_sk(site["siteId"], backup_id),
        "type": "backup",
        "backupId": backup_id,
        "siteId": site["siteId"],
        "tenantId": site["tenantId"],
        "environment": site["environment"],
        "status": BackupStatus.PENDING.value,
        "reason": reason,
        "artifactKey": artifact_key(site, backup_id),
        "size": None,
        "checksum": None,
        "content": None,
        "pinned": reason in PINNED_REASONS,
        "createdAt": changes.timestamp,
        "createdBy": changes.actor.sub,
        "completedAt": None,
        "version": 1,
    }
    changes.put(item, NOT_EXISTS)
    return item


def get_backup(*, store: ItemStore, site: dict[str, Any], backup_id: str) -> dict[str, Any]:
    """One of this site's backups (another site's backup is not found here)."""
    item = store.get(tenant_keys.tenant_pk(site["tenantId"]), keys.backup_sk(site["siteId"], backup_id))
    if item is None:
        raise NotFound(f"Site {site['siteId']} has no backup {backup_id}.", code="BACKUP_NOT_FOUND")
    return item


def list_backups(
    *, store: ItemStore, site: dict[str, Any], limit: int, start_after: dict[str, str] | None = None
) -> Page:
    """Newest first."""
    return newest_first(store, site, keys.backups_prefix(site["siteId"]), limit=limit, start_after=start_after)


def content_of(ctx: SiteContext, spec: InstanceSpec, site: dict[str, Any]) -> dict[str, Any]:
    """What a restore must bring back: published posts and pages, and a checksum of each content table."""
    posts = ctx.driver.run_admin(spec, site["key"], "posts-count", {"type": "post"})
    pages = ctx.driver.run_admin(spec, site["key"], "posts-count", {"type": "page"})
    inventory = ctx.driver.run_admin(spec, site["key"], "inventory")
    tables = {t["name"].split("_", 1)[-1]: t.get("checksum") for t in inventory.get("tables", [])}
    return {
        "posts": posts["publish"],
        "pages": pages["publish"],
        "tables": {name: tables.get(name) for name in CONTENT_TABLES if name in tables},
    }


def take_backup(ctx: SiteContext, spec: InstanceSpec, site: dict[str, Any], backup: dict[str, Any]) -> dict[str, Any]:
    """Export the site into the backup's archive and complete the record (a retried job finishes it)."""
    if backup["status"] == BackupStatus.COMPLETED:
        return backup
    archive = ctx.scratch(f"{backup['backupId']}.tar.gz")
    content = content_of(ctx, spec, site)
    ctx.driver.export_site(spec, site["key"], archive)
    stored = ctx.artifacts.put(backup["artifactKey"], archive)
    archive.unlink(missing_ok=True)
    changes = ctx.changes()
    done = {
        **backup,
        "status": BackupStatus.COMPLETED.value,
        "size": stored.size,
        "checksum": stored.sha256,
        "content": content,
        "completedAt": changes.timestamp,
        "version": backup["version"] + 1,
    }
    changes.put(done, version_is(backup["version"]))  # guards: one job per backup
    changes.audit(
        tenant_id=site["tenantId"],
        action="site.backed_up",
        resource_type="site",
        resource_id=site["siteId"],
        event_data=backup_public(done),
    )
    changes.commit(ctx.store)
    prune(ctx, site)
    return done


def prune(ctx: SiteContext, site: dict[str, Any]) -> int:
    """Keep the newest `backup_retention` completed backups of the site (pinned ones are not counted or removed)."""
    kept, removed = 0, 0
    newest = ctx.store.iterate(
        tenant_keys.tenant_pk(site["tenantId"]), sk_prefix=keys.backups_prefix(site["siteId"]), descending=True
    )
    for item in newest:
        if item["status"] != BackupStatus.COMPLETED or item.get("pinned"):
            continue
        kept += 1
        if kept > ctx.settings.backup_retention:
            ctx.artifacts.delete(item["artifactKey"])
            ctx.store.delete(item["pk"], item["sk"])
            removed += 1
    return removed


def restore(ctx: SiteContext, spec: InstanceSpec, site: dict[str, Any], backup: dict[str, Any]) -> dict[str, Any]:
    """Put the backup back into the site: checksum verified first, content compared after; returns the check."""
    if backup["status"] != BackupStatus.COMPLETED:
        raise DriverError(f"backup {backup['backupId']} is {backup['status']}, not restorable", code="BACKUP_INVALID")
    archive = ctx.artifacts.local_path(backup["artifactKey"])
    try:
        if archive is None:
            archive = ctx.artifacts.fetch(backup["artifactKey"], ctx.scratch(f"{backup['backupId']}.tar.gz"))
    except ArtifactMissing as exc:
        raise DriverError(f"the archive of backup {backup['backupId']} is gone", code="BACKUP_INVALID") from exc
    if sha256_of(archive) != backup["checksum"]:
        raise DriverError(
            f"backup {backup['backupId']} does not match its checksum; it was not restored", code="BACKUP_CORRUPT"
        )
    ctx.driver.import_site(spec, site_spec(site), archive)
    expected = backup.get("content") or {}
    found = content_of(ctx, spec, site)
    differing = [name for name in ("posts", "pages") if expected.get(name) != found.get(name)]
    differing += [
        f"table {name}"
        for name, value in (expected.get("tables") or {}).items()
        if value is not None and found["tables"].get(name) != value
    ]
    if differing:
        raise DriverError(
            f"the restored site differs from the backup in: {', '.join(differing)}", code="RESTORE_MISMATCH"
        )
    return {"backupId": backup["backupId"], "verified": True, "content": found}
