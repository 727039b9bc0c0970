"""How an operation lets go of the sites it holds: settled in their final status when it succeeds; FAILED, or back
as they were, when it does not (and what a failed create left is cleaned up by a follow-up job)."""

from __future__ import annotations

from typing import Any

from bbws.core.changes import Changes
from bbws.core.links import href
from bbws.core.queue import Job
from bbws.core.store import ItemStore
from bbws.events.outbox import enqueue
from bbws.sites import keys, service
from bbws.sites.models import SiteAction, SiteStatus, settled_status
from bbws.sites.records import put_site, tenant_sites

A, S = SiteAction, SiteStatus
CLEANUP_JOB = "CleanUpSite"
# When a job fails, these holds leave the site FAILED (its files or database may be half changed); the others
# go back to the status the site had (an update, a suspension or a backup that failed changed nothing).
CHANGING = frozenset(
    {
        (A.CREATE, "self"),
        (A.CLONE, "self"),
        (A.PROMOTE, "target"),
        (A.RESTORE, "self"),
        (A.APPLY_TEMPLATE, "self"),
        (A.DELETE, "self"),
    }
)


# Failures found before anything was changed: the sites go back as they were, whatever the action.
UNTOUCHED = frozenset({"BACKUP_CORRUPT", "BACKUP_INVALID", "INSTANCE_NOT_FOUND"})


def site_result(site: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "message": f"Site is {site['status']}.",
        "siteId": site["siteId"],
        "status": site["status"],
        "url": site.get("url"),
        **extra,
        "_links": {"site": {"href": href("tenants", site["tenantId"], "sites", site["siteId"])}},
    }


def ended(operation_id: str) -> dict[str, Any]:
    return {
        "pendingOperationId": None,
        "pendingAction": None,
        "pendingRole": None,
        "previousStatus": None,
        "lastOperationId": operation_id,
    }


def settle(
    changes: Changes, site: dict[str, Any], operation_id: str, *, audit: str | None = None, **fields: Any
) -> dict[str, Any]:
    """The site let go by its operation, in its final status (by default where its action ends)."""
    if "status" not in fields:
        fields["status"] = settled_status(A(site["pendingAction"]), S(site.get("previousStatus") or site["status"]))
    fields.setdefault("lastError", None)
    return put_site(changes, site, audit=audit, **ended(operation_id), **fields)


def forget(changes: Changes, store: ItemStore, site: dict[str, Any]) -> None:
    """A site that is gone: its subdomain is free again and it no longer counts against the quota."""
    pk, sk = keys.subdomain_lock(site["environment"], site["subdomain"])
    owner = store.get(pk, sk)
    if owner is not None and owner["siteId"] == site["siteId"]:
        changes.delete(pk, sk)
    service.release_slot(changes, store, site["tenantId"], site["environment"])


def fail_hold(
    changes: Changes,
    store: ItemStore,
    site: dict[str, Any],
    operation_id: str,
    reason: str,
    *,
    cancelled: bool = False,
    untouched: bool = False,
) -> None:
    """Let go of a site whose operation ended without finishing: FAILED (and its leftovers cleaned up) when the
    work may have changed it half way, back as it was otherwise; a cancelled create leaves nothing at all."""
    action, role = A(site["pendingAction"]), site.get("pendingRole") or "self"
    created = site.get("previousStatus") is None and S(site["status"]) == S.PROVISIONING
    if cancelled and created:
        after = settle(changes, site, operation_id, audit="site.released", status=S.DELETED.value)
        forget(changes, store, after)
        return
    failed = (action, role) in CHANGING and not cancelled and not (untouched and not created)
    status = S.FAILED.value if failed else (site.get("previousStatus") or S.FAILED.value)
    settle(
        changes,
        site,
        operation_id,
        audit="site.failed" if failed else "site.released",
        status=status,
        lastError=reason if failed else site.get("lastError"),
    )
    if created and failed:
        enqueue(changes, Job(name=CLEANUP_JOB, tenant_id=site["tenantId"], payload={"siteId": site["siteId"]}))


def held_by(store: ItemStore, tenant_id: str, operation_id: str) -> list[dict[str, Any]]:
    """Every site of the tenant an operation holds (the job's own site, and a clone's source or promotion's target)."""
    return [s for s in tenant_sites(store, tenant_id) if s.get("pendingOperationId") == operation_id]


def release(changes: Changes, store: ItemStore, operation: dict[str, Any]) -> None:
    cancelled = operation["status"] == "CANCELLED"
    reason = (operation.get("error") or {}).get("detail", "The operation failed.")
    for site in held_by(store, operation["tenantId"], operation["operationId"]):
        fail_hold(changes, store, site, operation["operationId"], reason, cancelled=cancelled)
