"""Reading and writing site records: one place that keeps their indexes in step and audits every change."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bbws.core.changes import Actor, Changes
from bbws.core.clock import Clock
from bbws.core.driver import InstanceSpec
from bbws.core.errors import Conflict, NotFound
from bbws.core.store import ConditionFailed, ItemStore, Page, version_is
from bbws.instances.models import InstanceStatus
from bbws.instances.service import create_hint, spec_of
from bbws.sites import keys
from bbws.tenants import keys as tenant_keys


def site_not_found(site_id: str) -> NotFound:
    return NotFound(f"Site {site_id} was not found.", code="SITE_002")


def get_site(*, store: ItemStore, tenant_id: str, site_id: str) -> dict[str, Any]:
    """The tenant's site, or 404 SITE_002 (another tenant's site is not found either)."""
    item = store.get(tenant_keys.tenant_pk(tenant_id), keys.site_sk(site_id))
    if item is None:
        raise site_not_found(site_id)
    return item


def site_node(store: ItemStore, operation: dict[str, Any]) -> str:
    """Where a site operation's site sits in the tenant's tree: its team's roles may follow the operation."""
    site = store.get(tenant_keys.tenant_pk(operation["tenantId"]), keys.site_sk(operation["resourceId"]))
    return str((site or {}).get("nodePath") or "")


def tenant_sites(store: ItemStore, tenant_id: str) -> Iterator[dict[str, Any]]:
    """Every site record of a tenant, deleted ones included (background work; the API lists page)."""
    return store.iterate(tenant_keys.tenant_pk(tenant_id), sk_prefix=keys.SITE_PREFIX)


def newest_first(
    store: ItemStore, site: dict[str, Any], prefix: str, *, limit: int, start_after: dict[str, str] | None = None
) -> Page:
    """One page of the items kept under a site (its backups, its promotions), newest first."""
    return store.query(
        tenant_keys.tenant_pk(site["tenantId"]), sk_prefix=prefix, limit=limit, start_after=start_after, descending=True
    )


def moved(changes: Changes, site: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """`site` with `fields` changed, its indexes following its status, and a new version (not yet written)."""
    after = {**site, **fields, "updatedAt": changes.timestamp, "version": site["version"] + 1}
    after.update(keys.site_indexes(after["tenantId"], after["environment"], after["status"], after["siteId"]))
    return after


def put_site(changes: Changes, site: dict[str, Any], *, audit: str | None = None, **fields: Any) -> dict[str, Any]:
    """Add the change of `site` to a changeset, guarded by the version read (one writer at a time)."""
    after = moved(changes, site, **fields)
    changes.put(after, version_is(site["version"]))
    if audit:
        changes.audit(
            tenant_id=site["tenantId"],
            action=audit,
            resource_type="site",
            resource_id=site["siteId"],
            before=site,
            after=after,
        )
    return after


def save_site(
    *, store: ItemStore, clock: Clock, actor: Actor, site: dict[str, Any], audit: str | None = None, **fields: Any
) -> dict[str, Any]:
    """Write one change of a site now; 409 when it changed meanwhile (read it again)."""
    changes = Changes(actor=actor, now=clock.now())
    after = put_site(changes, site, audit=audit, **fields)
    try:
        changes.commit(store)
    except ConditionFailed as exc:
        raise Conflict(f"Site {site['siteId']} changed meanwhile; read it again and retry.") from exc
    return after


def instance_of(store: ItemStore, tenant_id: str, environment: str) -> dict[str, Any] | None:
    """The tenant's instance for an environment, when it has one that is not deprovisioned."""
    item = store.get(tenant_keys.tenant_pk(tenant_id), tenant_keys.instance_sk(environment))
    if item is None or item["status"] == InstanceStatus.DEPROVISIONED:
        return None
    return item


def instance_spec_for(store: ItemStore, site: dict[str, Any]) -> InstanceSpec:
    """The driver's view of the instance the site lives in; 409 INSTANCE_NOT_FOUND when it has none."""
    instance = instance_of(store, site["tenantId"], site["environment"])
    if instance is None:
        raise Conflict(
            f"Tenant {site['tenantId']} has no instance in {site['environment']}; create one first.",
            code="INSTANCE_NOT_FOUND",
            hint=create_hint(site["tenantId"], site["environment"]),
            environment=site["environment"],
        )
    return spec_of(instance)
