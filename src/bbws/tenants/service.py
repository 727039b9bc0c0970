"""Tenant use cases: create (with onboarding), read, list, update, lifecycle; every change audited."""

from __future__ import annotations

from typing import Any

from bbws.core.changes import Actor, Changes
from bbws.core.clock import Clock
from bbws.core.errors import Conflict, UnprocessableEntity, not_found
from bbws.core.ids import new_id
from bbws.core.store import NOT_EXISTS, ConditionFailed, ItemStore, Page, version_is
from bbws.tenants import keys
from bbws.tenants.models import TenantStatus
from bbws.tenants.schemas import TenantCreate, TenantUpdate


def get_tenant(*, store: ItemStore, tenant_id: str) -> dict[str, Any]:
    """The tenant item, or TENANT_NOT_FOUND."""
    item = store.get(keys.tenant_pk(tenant_id), keys.TENANT_SK)
    if item is None:
        raise not_found("tenant", tenant_id)
    return item


def create_tenant(*, store: ItemStore, clock: Clock, actor: Actor, data: TenantCreate) -> dict[str, Any]:
    """Write the tenant PENDING (name reserved in the same transaction), then onboard it."""
    changes = Changes(actor=actor, now=clock.now())
    tenant_id = new_id("ten", now_ms=int(changes.now.timestamp() * 1000))
    item: dict[str, Any] = {
        "pk": keys.tenant_pk(tenant_id),
        "sk": keys.TENANT_SK,
        "type": "tenant",
        "tenantId": tenant_id,
        "organizationName": data.organizationName,
        "contactEmail": str(data.contactEmail),
        "tier": data.tier.value,
        "status": TenantStatus.PENDING.value,
        "metadata": data.metadata,
        "statusReason": None,
        "parkedAt": None,
        "parkedBy": None,
        "createdAt": changes.timestamp,
        "createdBy": actor.sub,
        "updatedAt": changes.timestamp,
        "updatedBy": actor.sub,
        "version": 1,
        **keys.tenant_indexes(tenant_id, TenantStatus.PENDING.value, data.tier.value),
    }
    lock_pk, lock_sk = keys.org_name_lock(data.organizationName)
    changes.put({"pk": lock_pk, "sk": lock_sk, "type": "unique", "tenantId": tenant_id}, NOT_EXISTS)
    changes.put(item, NOT_EXISTS)
    changes.audit(
        tenant_id=tenant_id, action="tenant.created", resource_type="tenant", resource_id=tenant_id, after=item
    )
    try:
        changes.commit(store)
    except ConditionFailed as exc:
        raise _name_taken(data.organizationName) from exc
    return onboard(store=store, clock=clock, actor=actor, tenant=item)


def onboard(*, store: ItemStore, clock: Clock, actor: Actor, tenant: dict[str, Any]) -> dict[str, Any]:
    """PENDING -> ACTIVE. Until instances exist, onboarding only sets up records, so it succeeds at once."""
    changes = Changes(actor=actor, now=clock.now())
    active = moved_to(tenant, TenantStatus.ACTIVE, changes, reason=None, action="tenant.activated")
    changes.put(active, version_is(tenant["version"]))  # guards: nobody else moved it meanwhile
    changes.commit(store)
    return active


def update_tenant(
    *, store: ItemStore, clock: Clock, actor: Actor, tenant: dict[str, Any], data: TenantUpdate
) -> dict[str, Any]:
    """Change name, contact, tier or metadata under optimistic locking; renames keep names unique."""
    if tenant["status"] == TenantStatus.DEPROVISIONED:
        raise UnprocessableEntity("A deprovisioned tenant cannot be changed.", code="TENANT_DEPROVISIONED")
    fields = data.model_dump(exclude_unset=True, exclude_none=True, mode="json")
    if not fields:
        raise UnprocessableEntity("Send at least one field to change.", code="NOTHING_TO_UPDATE")
    changes = Changes(actor=actor, now=clock.now())
    new_name = fields.get("organizationName")
    if new_name and keys.org_name_lock(new_name) != keys.org_name_lock(tenant["organizationName"]):
        changes.delete(*keys.org_name_lock(tenant["organizationName"]))
        pk, sk = keys.org_name_lock(new_name)
        changes.put({"pk": pk, "sk": sk, "type": "unique", "tenantId": tenant["tenantId"]}, NOT_EXISTS)
    updated = {
        **tenant,
        **fields,
        "updatedAt": changes.timestamp,
        "updatedBy": actor.sub,
        "version": tenant["version"] + 1,
        **keys.tenant_indexes(tenant["tenantId"], tenant["status"], fields.get("tier", tenant["tier"])),
    }
    changes.put(updated, version_is(tenant["version"]))
    changes.audit(
        tenant_id=tenant["tenantId"],
        action="tenant.updated",
        resource_type="tenant",
        resource_id=tenant["tenantId"],
        before=tenant,
        after=updated,
    )
    try:
        changes.commit(store)
    except ConditionFailed as exc:
        if new_name and exc.pk.startswith(keys.ORG_NAME_PREFIX):
            raise _name_taken(new_name) from exc
        raise Conflict("The tenant changed while you were updating it; read it again and retry.") from exc
    return updated


def moved_to(
    tenant: dict[str, Any], target: TenantStatus, changes: Changes, *, reason: str | None, action: str,
    event_data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The tenant in its new status, with its audit record (and event) added to `changes`; the caller writes it."""
    moved = {
        **tenant,
        "status": target.value,
        "statusReason": reason,
        "updatedAt": changes.timestamp,
        "updatedBy": changes.actor.sub,
        "version": tenant["version"] + 1,
        **keys.tenant_indexes(tenant["tenantId"], target.value, tenant["tier"]),
    }
    if target is TenantStatus.PARKED:
        moved.update(parkedAt=changes.timestamp, parkedBy=changes.actor.sub)
    elif tenant["status"] == TenantStatus.PARKED:
        moved.update(parkedAt=None, parkedBy=None)
    changes.audit(
        tenant_id=tenant["tenantId"],
        action=action,
        resource_type="tenant",
        resource_id=tenant["tenantId"],
        before=tenant,
        after=moved,
        event_data=event_data,
    )
    return moved


def list_tenants(
    *, store: ItemStore, status: str | None, tier: str | None, limit: int, start_after: dict[str, str] | None
) -> Page:
    """All tenants (platform roles), filtered by status and tier through the status/tier indexes."""
    if status:
        return store.query(
            keys.tenants_by_status(status),
            index="GSI2",
            limit=limit,
            start_after=start_after,
            filters={"tier": tier} if tier else None,
        )
    if tier:
        return store.query(keys.tenants_by_tier(tier), index="GSI3", limit=limit, start_after=start_after)
    return store.query(keys.ALL_TENANTS, index="GSI1", limit=limit, start_after=start_after)


def _name_taken(name: str) -> Conflict:
    return Conflict(
        f"An organization named {name!r} already exists.",
        code="CONFLICT",
        errors=[{"field": "organizationName", "message": "already taken"}],
    )
