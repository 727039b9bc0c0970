"""Promotion DEV -> SIT -> PROD: the plan (what would change in the target), the records of promotions,
and the request that holds both sites and queues the PromoteSite job."""

from __future__ import annotations

from typing import Any

from bbws.core.authorizer import Authorizer
from bbws.core.changes import Actor, Changes
from bbws.core.clock import Clock
from bbws.core.driver import InstanceSpec, RuntimeDriver
from bbws.core.errors import Conflict, NotFound
from bbws.core.ids import new_id
from bbws.core.store import NOT_EXISTS, ItemStore, Page
from bbws.sites import keys, service
from bbws.sites.backups import new_backup
from bbws.sites.models import PromotionStatus, SiteAction
from bbws.sites.records import get_site, newest_first
from bbws.tenants import keys as tenant_keys

FILE_SAMPLE = 50  # paths listed per kind of file change in a plan


def find_target(store: ItemStore, source: dict[str, Any], target_env: str) -> dict[str, Any] | None:
    """The source's copy in the next environment (same lineage, same subdomain), or None when there is none yet;
    a subdomain held there by any other site is SITE_003."""
    owner = service.subdomain_owner(store, target_env, source["subdomain"])
    if owner is None:
        return None
    if owner["tenantId"] != source["tenantId"] or owner.get("lineageId") != source["lineageId"]:
        raise service.subdomain_taken(target_env, source["subdomain"])
    return get_site(store=store, tenant_id=source["tenantId"], site_id=owner["siteId"])


def _by_slug(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {p["slug"]: {"version": p.get("version"), "active": bool(p.get("active"))} for p in items}


def _diff_plugins(source: list[dict[str, Any]], target: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ours, theirs = _by_slug(source), _by_slug(target)
    changes = []
    for slug in sorted(set(ours) | set(theirs)):
        before, after = theirs.get(slug), ours.get(slug)
        if before == after:
            continue
        if before is None:
            change = "add"
        elif after is None:
            change = "remove"
        elif before["version"] != after["version"]:
            change = "version"
        else:
            change = "activate" if after["active"] else "deactivate"
        changes.append({"slug": slug, "change": change, "target": before, "source": after})
    return changes


def _diff_files(source: dict[str, str], target: dict[str, str]) -> dict[str, Any]:
    added = sorted(set(source) - set(target))
    removed = sorted(set(target) - set(source))
    changed = sorted(p for p in set(source) & set(target) if source[p] != target[p])
    return {
        "added": len(added),
        "removed": len(removed),
        "changed": len(changed),
        "unchanged": len(source) - len(added) - len(changed),
        "sample": {"added": added[:FILE_SAMPLE], "removed": removed[:FILE_SAMPLE], "changed": changed[:FILE_SAMPLE]},
    }


def _diff_tables(source: list[dict[str, Any]], target: list[dict[str, Any]]) -> list[dict[str, Any]]:
    theirs = {t["name"]: t for t in target}
    rows = []
    for table in source:
        other = theirs.get(table["name"])
        rows.append(
            {
                "table": table["name"],
                "sourceRows": table["rows"],
                "targetRows": other["rows"] if other else None,
                "changed": other is None or other.get("checksum") != table.get("checksum"),
            }
        )
    return rows


def diff(source: dict[str, Any], target: dict[str, Any] | None) -> dict[str, Any]:
    """What copying `source` over `target` changes (both are `inventory` answers; None: a new target)."""
    target = target or {"tables": [], "files": {}, "plugins": [], "theme": None}
    versions = [
        {
            "component": name,
            "source": source.get(name),
            "target": target.get(name),
            "differs": source.get(name) != target.get(name),
        }
        for name in ("wordpress", "php", "database")
    ]
    theme = (
        None
        if source.get("theme") == target.get("theme")
        else {"source": source.get("theme"), "target": target.get("theme")}
    )
    return {
        "tables": _diff_tables(source["tables"], target["tables"]),
        "files": _diff_files(dict(source.get("files") or {}), dict(target.get("files") or {})),
        "versions": versions,
        "plugins": _diff_plugins(source["plugins"], target["plugins"]),
        "theme": theme,
    }


def plan(
    *,
    driver: RuntimeDriver,
    source: dict[str, Any],
    source_spec: InstanceSpec,
    target: dict[str, Any] | None,
    target_spec: InstanceSpec | None,
) -> dict[str, Any]:
    """Read both sites through the runtime and compare them (nothing is changed)."""
    ours = driver.run_admin(source_spec, source["key"], "inventory", {"files": True})
    theirs = None
    if target is not None and target_spec is not None:
        theirs = driver.run_admin(target_spec, target["key"], "inventory", {"files": True})
    return diff(ours, theirs)


def new_promotion(
    changes: Changes,
    *,
    source: dict[str, Any],
    target: dict[str, Any],
    target_created: bool,
    pre_backup_id: str | None,
    plan_: dict[str, Any] | None,
    gate: dict[str, Any],
    operation_id: str,
    promotion_id: str,
) -> dict[str, Any]:
    item = {
        "pk": tenant_keys.tenant_pk(source["tenantId"]),
        "sk": keys.promotion_sk(source["siteId"], promotion_id),
        "type": "promotion",
        "promotionId": promotion_id,
        "tenantId": source["tenantId"],
        "sourceSiteId": source["siteId"],
        "targetSiteId": target["siteId"],
        "sourceEnvironment": source["environment"],
        "targetEnvironment": target["environment"],
        "status": PromotionStatus.IN_PROGRESS.value,
        "targetCreated": target_created,
        "preBackupId": pre_backup_id,
        "plan": plan_,
        "healthGate": gate,
        "health": None,
        "error": None,
        "requestedBy": changes.actor.sub,
        "createdAt": changes.timestamp,
        "completedAt": None,
        "rolledBackAt": None,
        "rolledBackBy": None,
        "operationId": operation_id,
        "version": 1,
    }
    changes.put(item, NOT_EXISTS)
    return item


def request_promotion(
    *,
    store: ItemStore,
    clock: Clock,
    actor: Actor,
    tenant: dict[str, Any],
    source: dict[str, Any],
    target_env: str,
    target: dict[str, Any] | None,
    instance: dict[str, Any] | None,
    plan_: dict[str, Any] | None,
    gate: dict[str, Any],
) -> dict[str, Any]:
    """Hold the source (PROMOTING) and the target (PROMOTING, or a new PROVISIONING copy in `instance`), record
    the promotion and its pre-promotion backup, and queue PromoteSite — all in one transaction. The checks are
    `readiness.assess`'s; the guarded writes catch what changed since."""
    changes = Changes(actor=actor, now=clock.now())
    created = target is None
    if target is None:
        if instance is None:
            raise ValueError("a new target needs the instance it goes into")
        service.claim_slot(changes, store, tenant, target_env)
        target = service.new_site(
            changes,
            tenant_id=source["tenantId"],
            environment=target_env,
            subdomain=source["subdomain"],
            site_name=source["siteName"],
            lineageId=source["lineageId"],
            teamId=source.get("teamId"),
            nodePath=source.get("nodePath") or "",
            instanceId=instance["instanceId"],
            adminEmail=source.get("adminEmail"),
            tagline=source.get("tagline") or "",
            templateId=source.get("templateId"),
            promotedFrom=source["siteId"],
        )
    now_ms = int(changes.now.timestamp() * 1000)
    backup_id = None if created else new_id("bak", now_ms=now_ms)
    promotion_id = new_id("prm", now_ms=now_ms)
    params: dict[str, Any] = {
        "targetSiteId": target["siteId"],
        "targetCreated": created,
        "preBackupId": backup_id,
        "promotionId": promotion_id,
    }
    operation = service.start(
        changes,
        store,
        source,
        SiteAction.PROMOTE,
        params,
        commit=False,
        others=[(target, SiteAction.PROMOTE, "target", created)],
    )
    if backup_id is not None:
        new_backup(changes, target, backup_id, "pre-promotion")
    new_promotion(
        changes,
        source=source,
        target=target,
        target_created=created,
        pre_backup_id=backup_id,
        plan_=plan_,
        gate=gate,
        operation_id=operation["operationId"],
        promotion_id=promotion_id,
    )
    service.commit_or_conflict(changes, store)
    return operation


def get_promotion(*, store: ItemStore, source: dict[str, Any], promotion_id: str) -> dict[str, Any]:
    item = store.get(tenant_keys.tenant_pk(source["tenantId"]), keys.promotion_sk(source["siteId"], promotion_id))
    if item is None:
        raise NotFound(f"Site {source['siteId']} has no promotion {promotion_id}.", code="PROMOTION_NOT_FOUND")
    return item


def list_promotions(
    *, store: ItemStore, source: dict[str, Any], limit: int, start_after: dict[str, str] | None = None
) -> Page:
    """Newest first: who promoted, when, to where, and how it ended."""
    return newest_first(store, source, keys.promotions_prefix(source["siteId"]), limit=limit, start_after=start_after)


def request_rollback(
    *, store: ItemStore, clock: Clock, actor: Actor, authz: Authorizer, source: dict[str, Any], promotion_id: str
) -> dict[str, Any]:
    """Undo a completed promotion in one call: the target gets its pre-promotion backup back (RestoreSite), or,
    when the promotion created it, the target is removed (DeleteSite, after a backup of its own). It takes the
    role that promotes to the target's environment."""
    promotion = get_promotion(store=store, source=source, promotion_id=promotion_id)
    env = promotion["targetEnvironment"]
    where = {"tenant_id": source["tenantId"], "node_path": source.get("nodePath") or "", "environment": env}
    authz.require(f"promote:{env}", **where)
    if promotion["status"] != PromotionStatus.COMPLETED:
        raise Conflict(
            f"Promotion {promotion['promotionId']} is {promotion['status']}; only a COMPLETED "
            "promotion can be rolled back.",
            code="PROMOTION_NOT_ROLLBACKABLE",
            promotionStatus=promotion["status"],
        )
    target = get_site(store=store, tenant_id=promotion["tenantId"], site_id=promotion["targetSiteId"])
    params = {"promotionId": promotion["promotionId"], "promotionSourceId": promotion["sourceSiteId"]}
    if promotion["targetCreated"]:
        return service.request_action(
            store=store, clock=clock, actor=actor, site=target, action=SiteAction.DELETE, params=params
        )
    return service.request_action(
        store=store,
        clock=clock,
        actor=actor,
        site=target,
        action=SiteAction.RESTORE,
        params={**params, "backupId": promotion["preBackupId"]},
    )
