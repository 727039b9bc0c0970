"""Stored role assignments: what the authorizer reads, and what `bbws token create --tenant` writes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bbws.core.authorizer import Assignment
from bbws.core.changes import Actor, Changes
from bbws.core.clock import Clock
from bbws.store.port import ItemStore
from bbws.tenants import keys


def assignment_loader(store: ItemStore) -> Callable[[str, str], list[Assignment]]:
    """`load(user_id, tenant_id)`: the user's roles in a tenant, one query."""

    def load(user_id: str, tenant_id: str) -> list[Assignment]:
        page = store.query(keys.tenant_pk(tenant_id), sk_prefix=keys.assignments_prefix(user_id), limit=100)
        return [Assignment(node_path=it["nodePath"], role=it["role"]) for it in page.items]

    return load


def assign(
    changes: Changes,
    *,
    store: ItemStore,
    tenant_id: str,
    user_id: str,
    role: str,
    node_path: str = "",
    node_id: str | None = None,
    email: str | None = None,
) -> dict[str, Any]:
    """Add (or replace) the user's role on one node, and keep the user's membership item for GSI lookups."""
    sk = keys.assignment_sk(user_id, node_path)
    before = store.get(keys.tenant_pk(tenant_id), sk)
    item = {
        "pk": keys.tenant_pk(tenant_id),
        "sk": sk,
        "type": "assignment",
        "tenantId": tenant_id,
        "userId": user_id,
        "email": email,
        "role": role,
        "nodePath": node_path,
        "nodeId": node_id,
        "assignedAt": changes.timestamp,
        "assignedBy": changes.actor.sub,
        "version": (before or {}).get("version", 0) + 1,
    }
    changes.put(item)
    member = store.get(keys.tenant_pk(tenant_id), keys.member_sk(user_id))
    if member is None:
        changes.put(
            {
                "pk": keys.tenant_pk(tenant_id),
                "sk": keys.member_sk(user_id),
                "type": "member",
                "tenantId": tenant_id,
                "userId": user_id,
                "email": email,
                "since": changes.timestamp,
                "version": 1,
                **keys.member_indexes(user_id, tenant_id),
            }
        )
    changes.audit(
        tenant_id=tenant_id,
        action="user.role_assigned",
        resource_type="user",
        resource_id=user_id,
        before=before,
        after=item,
    )
    return item


def grant_role(
    *, store: ItemStore, clock: Clock, actor: Actor, tenant_id: str, user_id: str, role: str, node_path: str = ""
) -> dict[str, Any]:
    """Assign and commit (used by the CLI's token command)."""
    changes = Changes(actor=actor, now=clock.now())
    item = assign(changes, store=store, tenant_id=tenant_id, user_id=user_id, role=role, node_path=node_path)
    changes.commit(store)
    return item
