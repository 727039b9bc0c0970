"""Health history: every check is kept for a while, the SIT -> PROD gate reads it back, and a periodic sweep
queues a check of each serving site that is due."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from bbws.core.changes import Actor, Changes
from bbws.core.clock import Clock, iso, parse_iso
from bbws.core.queue import Job
from bbws.core.store import NOT_EXISTS, ConditionFailed, ItemStore, version_is
from bbws.events.outbox import enqueue
from bbws.sites import keys
from bbws.sites.models import HealthStatus, SiteStatus
from bbws.tenants import keys as tenant_keys

CHECK_JOB = "CheckSiteHealth"
KEEP_EXTRA = timedelta(days=7)  # history outlives the lookback window by this much (to explain a refusal)


def record_check(
    changes: Changes, *, site: dict[str, Any], report: dict[str, Any], lookback_hours: float
) -> dict[str, Any]:
    """Add a health report to the site's history (and nothing else) in `changes`."""
    checked_at = report.get("checkedAt") or changes.timestamp
    expires = parse_iso(checked_at) + timedelta(hours=lookback_hours) + KEEP_EXTRA
    item = {
        "pk": tenant_keys.tenant_pk(site["tenantId"]),
        "sk": keys.health_sk(site["siteId"], checked_at),
        "type": "health",
        "siteId": site["siteId"],
        "tenantId": site["tenantId"],
        "healthStatus": report["healthStatus"],
        "checkedAt": checked_at,
        "report": {k: v for k, v in report.items() if k != "_links"},
        "ttl": int(expires.timestamp()),
    }
    changes.put(item)
    return item


def history(*, store: ItemStore, site: dict[str, Any], since: datetime, limit: int = 1000) -> list[dict[str, Any]]:
    """The site's checks since `since` plus the one just before it, oldest first (at most `limit`)."""
    found: list[dict[str, Any]] = []
    newest_first = store.iterate(
        tenant_keys.tenant_pk(site["tenantId"]), sk_prefix=keys.health_prefix(site["siteId"]), descending=True
    )
    for item in newest_first:
        found.append(item)
        if parse_iso(item["checkedAt"]) <= since or len(found) >= limit:
            break
    return found[::-1]


def latest(*, store: ItemStore, site: dict[str, Any]) -> dict[str, Any] | None:
    """The site's most recent recorded check, or None before the first one."""
    page = store.query(
        tenant_keys.tenant_pk(site["tenantId"]), sk_prefix=keys.health_prefix(site["siteId"]), limit=1, descending=True
    )
    return page.items[0] if page.items else None


def lookback_gate(
    *, store: ItemStore, site: dict[str, Any], now: datetime, lookback_hours: float, interval_seconds: int
) -> dict[str, Any]:
    """Was the site healthy for the whole window? Checked, with no UNHEALTHY result and no gap in the checks
    longer than two intervals, from `now - lookback` until now."""
    start = now - timedelta(hours=lookback_hours)
    checks = history(store=store, site=site, since=start)
    max_gap = timedelta(seconds=2 * interval_seconds + 60)
    gate: dict[str, Any] = {
        "required": True,
        "lookbackHours": lookback_hours,
        "windowStart": iso(start),
        "checks": len(checks),
        "passed": False,
    }
    if not checks or parse_iso(checks[0]["checkedAt"]) > start:
        first = checks[0]["checkedAt"] if checks else None
        gate["detail"] = (
            f"health is recorded only since {first}" if first else "no health check is recorded"
        ) + f"; the source must be watched since {iso(start)} ({lookback_hours:g} h)"
        return gate
    unhealthy = [c["checkedAt"] for c in checks if c["healthStatus"] == HealthStatus.UNHEALTHY]
    if unhealthy:
        gate.update(
            detail=f"the source was UNHEALTHY at {unhealthy[-1]} (within the last {lookback_hours:g} h)",
            unhealthyAt=unhealthy,
        )
        return gate
    moments = [max(parse_iso(c["checkedAt"]), start) for c in checks] + [now]
    for before, after in itertools.pairwise(moments):
        if after - before > max_gap:
            gate["detail"] = f"no health check between {iso(before)} and {iso(after)}"
            return gate
    gate.update(passed=True, detail=f"healthy in all {len(checks)} checks of the last {lookback_hours:g} h")
    return gate


def sweep(*, store: ItemStore, clock: Clock, interval_seconds: int) -> int:
    """Queue a health check of every ACTIVE site not checked within the interval; at most once per interval
    across all workers (the sweep claims its turn with a guarded write). Returns how many were queued."""
    now = clock.now()
    mark = store.get(*keys.HEALTH_SWEEP_KEY)
    if mark is not None and parse_iso(mark["nextAt"]) > now:
        return 0
    claim = Changes(actor=Actor.system("health-sweep"), now=now)
    claim.put(
        {
            "pk": keys.HEALTH_SWEEP_KEY[0],
            "sk": keys.HEALTH_SWEEP_KEY[1],
            "type": "health-sweep",
            "nextAt": iso(now + timedelta(seconds=interval_seconds)),
            "version": (mark or {}).get("version", 0) + 1,
        },
        version_is(mark["version"]) if mark else NOT_EXISTS,
    )  # guards: one sweep per interval
    try:
        claim.commit(store)
    except ConditionFailed:
        return 0
    due = now - timedelta(seconds=interval_seconds / 2)  # a check made just now by hand or an operation counts
    queued = 0
    for site in serving_sites(store):
        if site.get("pendingOperationId") or (site.get("lastHealthAt") and parse_iso(site["lastHealthAt"]) > due):
            continue
        changes = Changes(actor=Actor.system("health-sweep"), now=now)
        enqueue(changes, Job(name=CHECK_JOB, tenant_id=site["tenantId"], payload={"siteId": site["siteId"]}))
        changes.commit(store)
        queued += 1
    return queued


def serving_sites(store: ItemStore) -> Any:
    """Every ACTIVE site of every tenant, through the indexes (no Scan)."""
    for tenant in store.iterate(tenant_keys.ALL_TENANTS, index="GSI1"):
        yield from store.iterate(keys.sites_by_status(tenant["tenantId"], SiteStatus.ACTIVE.value), index="GSI2")
