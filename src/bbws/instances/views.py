"""How instances are shown: public fields (never secrets) plus `_links` for the actions their state allows."""

from __future__ import annotations

from typing import Any

from bbws.core.changes import Changes
from bbws.core.links import act, href, links
from bbws.instances.models import InstanceAction, InstanceStatus, allowed_actions

_SHOWN = (
    "instanceId", "tenantId", "environment", "status", "url", "desiredCount", "runningCount", "wordpressVersion",
    "phpVersion", "settings", "resources", "runtime", "lastError", "createdAt", "createdBy", "updatedAt", "version",
)

# What a tenant's users may see of `resources`: the port is in the URL anyway. Everything else (files path,
# database server, Terraform state, ARNs) describes the host, for platform roles only; a new key stays hidden.
TENANT_RESOURCES = frozenset({"port"})


def without_internals(item: dict[str, Any]) -> dict[str, Any]:
    """The instance item as tenant users may see it (also what its audit records and events carry)."""
    resources = item.get("resources") or {}
    return {**item, "resources": {k: v for k, v in resources.items() if k in TENANT_RESOURCES}}


def audit_instance(
    changes: Changes, *, action: str, before: dict[str, Any] | None, after: dict[str, Any], resource_id: str = ""
) -> None:
    """The audit record and event of an instance change: both reach the tenant's own users and webhooks, so they
    carry the instance without what only the platform may see (its host paths)."""
    changes.audit(
        tenant_id=after["tenantId"],
        action=action,
        resource_type="instance",
        resource_id=resource_id or after["instanceId"],
        before=without_internals(before) if before is not None else None,
        after=without_internals(after),
    )



def instance_href(item: dict[str, Any], *more: str) -> str:
    return href("tenants", item["tenantId"], "instances", item["instanceId"], *more)


def instance_public(item: dict[str, Any], *, internals: bool = False) -> dict[str, Any]:
    """The public view; `internals` (platform roles) keeps the host's side of `resources`."""
    item = item if internals else without_internals(item)
    actions = set(allowed_actions(InstanceStatus(item["status"])))
    status_url = instance_href(item, "status")
    return {
        **{k: item.get(k) for k in _SHOWN},
        "_links": links(
            self=instance_href(item),
            collection=href("tenants", item["tenantId"], "instances"),
            tenant=href("tenants", item["tenantId"]),
            status=status_url,
            operation=href("operations", item["pendingOperationId"]) if item.get("pendingOperationId") else None,
            update=act(instance_href(item), "PUT") if InstanceAction.UPDATE in actions else None,
            stop=act(status_url, "PUT") if InstanceAction.STOP in actions else None,
            start=act(status_url, "PUT") if InstanceAction.START in actions else None,
            scale=act(instance_href(item, "size"), "PUT") if InstanceAction.SCALE in actions else None,
            delete=act(instance_href(item), "DELETE") if InstanceAction.DELETE in actions else None,
        ),
    }


def status_public(item: dict[str, Any], *, running: int, answering: bool) -> dict[str, Any]:
    status = InstanceStatus(item["status"])
    desired = 0 if status in (InstanceStatus.SUSPENDED, InstanceStatus.DEPROVISIONED) else item["desiredCount"]
    return {
        "instanceId": item["instanceId"],
        "status": item["status"],
        "desiredCount": item["desiredCount"],
        "runningCount": running,
        "pendingCount": max(0, desired - running),
        "answering": answering,
        "url": item.get("url"),
        "_links": links(self=instance_href(item, "status"), instance=instance_href(item)),
    }
