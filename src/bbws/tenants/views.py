"""How tenant-context items are shown: public fields plus `_links` for the actions their state allows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bbws.core.authorizer import Authorizer
from bbws.core.links import act, href, links
from bbws.tenants.hierarchy import children_href, deletion_blocker, node_href, parent_of
from bbws.tenants.invitations import shown_status
from bbws.tenants.invitations_schemas import InvitationStatus
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


def tenant_view(authz: Authorizer) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The tenant as this caller sees it: lifecycle links only for the actions its roles allow."""

    def view(item: dict[str, Any]) -> dict[str, Any]:
        return tenant_public(item, may=lambda permission: authz.allowed(permission, tenant_id=item["tenantId"]))

    return view


def node_public(item: dict[str, Any]) -> dict[str, Any]:
    tid, path = item["tenantId"], item["path"]
    self_href = node_href(tid, path)
    deletable = deletion_blocker(item, []) is None
    return {
        **public(item),
        "_links": links(
            self=self_href,
            parent=node_href(tid, parent_of(path)),
            collection=children_href(tid, parent_of(path)),
            children=children_href(tid, path),
            tenant=href("tenants", tid),
            users=href("tenants", tid, "users") + f"?nodeId={item['nodeId']}",
            update=act(self_href, "PUT"),
            delete=act(self_href, "DELETE") if deletable else None,
        ),
    }


def assignment_public(tenant_id: str, a: dict[str, Any]) -> dict[str, Any]:
    fields = ("role", "nodeId", "nodePath", "assignedAt", "assignedBy")
    return {**{k: a.get(k) for k in fields}, "_links": links(node=node_href(tenant_id, a["nodePath"]))}


def member_public(item: dict[str, Any]) -> dict[str, Any]:
    tid, uid = item["tenantId"], item["userId"]
    self_href = href("tenants", tid, "users", uid)
    return {
        **{k: item.get(k) for k in ("userId", "tenantId", "email", "since", "updatedAt", "version")},
        "assignments": [assignment_public(tid, a) for a in item.get("assignments", [])],
        "_links": links(
            self=self_href,
            collection=href("tenants", tid, "users"),
            tenant=href("tenants", tid),
            tenants=href("users", uid, "tenants"),
            assign=act(href("tenants", tid, "users")),
            remove=act(self_href, "DELETE"),
        ),
    }


def user_tenant_public(row: dict[str, Any]) -> dict[str, Any]:
    tid = row["tenantId"]
    return {
        **{k: row[k] for k in ("tenantId", "organizationName", "status", "tier")},
        "roles": [assignment_public(tid, a) for a in row["roles"]],
        "_links": links(tenant=href("tenants", tid), users=href("tenants", tid, "users")),
    }


TOKEN_TEMPLATE = href("invitations", "{token}")


def invitation_public(item: dict[str, Any], now: datetime) -> dict[str, Any]:
    tid, status = item["tenantId"], shown_status(item, now)
    self_href = href("tenants", tid, "invitations", item["invitationId"])
    return {
        **{k: v for k, v in public(item).items() if k != "tokenHash"},
        "status": status.value,
        "_links": links(
            self=self_href,
            collection=href("tenants", tid, "invitations"),
            tenant=href("tenants", tid),
            node=node_href(tid, item["nodePath"]) if item["nodePath"] else None,
            cancel=act(self_href, "DELETE") if status is InvitationStatus.PENDING else None,
            resend=act(self_href + "/resend")
            if status in (InvitationStatus.PENDING, InvitationStatus.EXPIRED)
            else None,
        ),
    }


def invitation_view(item: dict[str, Any], organization: str, now: datetime) -> dict[str, Any]:
    status = shown_status(item, now)
    fields = ("invitationId", "tenantId", "email", "role", "nodeId", "nodeName", "expiresAt")
    is_open = status is InvitationStatus.PENDING
    return {
        **{k: item.get(k) for k in fields},
        "organizationName": organization,
        "status": status.value,
        "_links": links(
            self=TOKEN_TEMPLATE,
            accept=act(TOKEN_TEMPLATE + "/accept") if is_open else None,
            decline=act(TOKEN_TEMPLATE + "/decline") if is_open else None,
        ),
    }
