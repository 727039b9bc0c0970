"""User use cases: role assignments on nodes (by user id or a known user's email), members, a user's tenants."""

from __future__ import annotations

from typing import Any

from bbws.core.changes import Actor, Changes
from bbws.core.clock import Clock
from bbws.core.errors import Conflict, NotFound
from bbws.core.links import href
from bbws.core.store import ConditionFailed, ItemStore, Page
from bbws.tenants import keys, roles
from bbws.tenants.hierarchy import find_node, require_writable
from bbws.tenants.users_schemas import RoleAssign


def user_by_email(*, store: ItemStore, tenant_id: str, email: str) -> str:
    """The id of the one known user with this email (from their profile), or USER_NOT_FOUND."""
    users = store.query(keys.email_index(email), index="GSI1", limit=2).items
    if not users:
        raise NotFound(
            f"No known user has the email {email}; invite them instead "
            f"(POST {href('tenants', tenant_id, 'invitations')}).",
            code="USER_NOT_FOUND",
            errors=[{"field": "email", "message": "no known user has this email"}],
        )
    if len(users) > 1:
        raise Conflict(
            f"More than one user has the email {email}; assign the role by userId.",
            code="USER_EMAIL_AMBIGUOUS",
            errors=[{"field": "email", "message": "matches several users"}],
        )
    user_id: str = users[0]["userId"]
    return user_id


def assign_role(
    *, store: ItemStore, clock: Clock, actor: Actor, tenant: dict[str, Any], data: RoleAssign
) -> tuple[dict[str, Any], bool]:
    """Give a user a role on a node (or the tenant), replacing their role there; (the member, newly assigned?)."""
    require_writable(tenant)
    tid = tenant["tenantId"]
    user_id = data.userId or user_by_email(store=store, tenant_id=tid, email=str(data.email))
    node = find_node(store=store, tenant_id=tid, node_id=data.nodeId) if data.nodeId else None
    changes = Changes(actor=actor, now=clock.now())
    item = roles.assign(
        changes,
        store=store,
        tenant_id=tid,
        user_id=user_id,
        role=data.role.value,
        node_path=node["path"] if node else "",
        node_id=data.nodeId,
        require_node=node is not None,
    )
    _commit(changes, store, user_id)
    return get_member(store=store, tenant_id=tid, user_id=user_id), item["version"] == 1


def remove_user(
    *, store: ItemStore, clock: Clock, actor: Actor, tenant: dict[str, Any], user_id: str, node_id: str | None
) -> None:
    """Remove the user's role on one node (`node_id`; the tenant id for the tenant level), or all their roles."""
    require_writable(tenant)
    changes = Changes(actor=actor, now=clock.now())
    roles.unassign(changes, store=store, tenant_id=tenant["tenantId"], user_id=user_id, node_id=node_id)
    _commit(changes, store, user_id)


def get_member(*, store: ItemStore, tenant_id: str, user_id: str) -> dict[str, Any]:
    """A member of the tenant with a summary of all their assignments, or USER_NOT_FOUND."""
    item = store.get(keys.tenant_pk(tenant_id), keys.member_sk(user_id))
    if item is None:
        raise NotFound(f"User {user_id} holds no role in tenant {tenant_id}.", code="USER_NOT_FOUND")
    return item


def list_members(*, store: ItemStore, tenant_id: str, limit: int, start_after: dict[str, str] | None) -> Page:
    """One page of the tenant's members, in user id order."""
    return store.query(keys.tenant_pk(tenant_id), sk_prefix=keys.MEMBER_PREFIX, limit=limit, start_after=start_after)


def list_node_members(
    *, store: ItemStore, tenant_id: str, node_id: str, limit: int, start_after: dict[str, str] | None
) -> tuple[Page, list[dict[str, Any]]]:
    """The members holding a role on one node (the tenant id: on the tenant itself), one page."""
    path = "" if node_id == tenant_id else find_node(store=store, tenant_id=tenant_id, node_id=node_id)["path"]
    page = store.query(keys.assignees_index(tenant_id, path), index="GSI1", limit=limit, start_after=start_after)
    wanted = [(keys.tenant_pk(tenant_id), keys.member_sk(a["userId"])) for a in page.items]
    return page, store.batch_get(wanted)


def user_tenants(
    *, store: ItemStore, user_id: str, only: set[str] | None, limit: int, start_after: dict[str, str] | None
) -> tuple[Page, list[dict[str, Any]]]:
    """One page of the tenants where the user holds roles, each with those roles (`only`: a token's tenants)."""
    page = store.query(keys.user_tenants_index(user_id), index="GSI1", limit=limit, start_after=start_after)
    members = {m["tenantId"]: m for m in page.items if only is None or m["tenantId"] in only}
    tenants = store.batch_get([(keys.tenant_pk(tid), keys.TENANT_SK) for tid in members])
    return page, [{**t, "roles": members[t["tenantId"]].get("assignments", [])} for t in tenants]


def _commit(changes: Changes, store: ItemStore, user_id: str) -> None:
    try:
        changes.commit(store)
    except ConditionFailed as exc:
        raise Conflict(f"The roles of {user_id} (or the node) changed meanwhile; read them again and retry.") from exc
