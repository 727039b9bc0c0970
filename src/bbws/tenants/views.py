"""How tenant-context items are shown: public fields plus `_links` for the actions their state allows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bbws.core.links import act, href, links
from bbws.tenants.models import LifecycleAction, TenantStatus, allowed_actions, permissions_for

_HIDDEN = ("pk", "sk", "type", "ttl")


def public(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in _HIDDEN and not k.startswith("GSI")}


def tenant_public(item: dict[str, Any], *, may: Callable[[str], bool] = lambda _permission: True) -> dict[str, Any]:
    """The tenant with `_links` for the lifecycle actions its status allows and the caller `may` run (a tenant
    ADMIN is not offered the platform's suspend and resume)."""
    tid, status = item["tenantId"], TenantStatus(item["status"])
    lifecycle = {
        a.value: _action_link(tid, a)
        for a in allowed_actions(status)
        if all(may(permission) for permission in permissions_for(a, status))
    }
    return {
        **public(item),
        "_links": links(
            self=href("tenants", tid),
            collection=href("tenants"),
            divisions=href("tenants", tid, "divisions"),
            users=href("tenants", tid, "users"),
            invitations=href("tenants", tid, "invitations"),
            operations=href("tenants", tid, "operations"),
            audit=href("tenants", tid, "audit"),
            update=act(href("tenants", tid), "PUT") if item["status"] != TenantStatus.DEPROVISIONED else None,
            **lifecycle,
        ),
    }


def audit_public(item: dict[str, Any]) -> dict[str, Any]:
    return public(item)


def _action_link(tenant_id: str, action: LifecycleAction) -> dict[str, str]:
    if action is LifecycleAction.DELETE:
        return act(href("tenants", tenant_id), "DELETE")
    return act(href("tenants", tenant_id, "lifecycle", action.value))
