"""Stored role assignments: what the authorizer reads, and the records kept in step with them.

An assignment (`USER#{userId}#{nodePath}`) is the source of truth. Each change also rewrites, in the same
transaction: the member item (one per user and tenant, with a summary of the user's assignments, listed by
`GET /users/{userId}/tenants`), the node's `assignmentCount` (so a node holding roles cannot be deleted), the
tenant's ADMINS item (so the last tenant-level ADMIN cannot go), and the user profile when an email is known.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bbws.core.authorizer import Assignment
from bbws.core.changes import Actor, Changes
from bbws.core.clock import Clock
from bbws.core.errors import Conflict, NotFound, UnprocessableEntity
from bbws.core.store import NOT_EXISTS, Condition, ItemStore, version_is
from bbws.tenants import keys

# Removing a user must fit one transaction (at most 100 writes: two per assignment, plus a few).
MAX_ASSIGNMENTS_PER_USER = 40


def assignment_loader(store: ItemStore) -> Callable[[str, str], list[Assignment]]:
    """`load(user_id, tenant_id)`: the user's roles in a tenant, one query."""

    def load(user_id: str, tenant_id: str) -> list[Assignment]:
        page = store.query(keys.tenant_pk(tenant_id), sk_prefix=keys.assignments_prefix(user_id), limit=100)
        return [Assignment(node_path=it["nodePath"], role=it["role"]) for it in page.items]

    return load


def assignments_of(store: ItemStore, tenant_id: str, user_id: str) -> list[dict[str, Any]]:
    return store.query(keys.tenant_pk(tenant_id), sk_prefix=keys.assignments_prefix(user_id), limit=100).items


def guard(item: dict[str, Any] | None) -> Condition:
    """The write condition for replacing `item` as it was read (absent: it must still be absent)."""
    return NOT_EXISTS if item is None else version_is(item["version"])


def is_tenant_admin(assignments: list[dict[str, Any]]) -> bool:
    return any(a["nodePath"] == "" and a["role"] == "ADMIN" for a in assignments)


def admins_after(admins: list[str], user_id: str, *, admin: bool) -> list[str]:
    """The tenant-level ADMINs once `user_id` is (or stops being) one; refuses to leave none where there was one."""
    if admin:
        return admins if user_id in admins else [*admins, user_id]
    remaining = [a for a in admins if a != user_id]
    if admins and not remaining:
        raise Conflict(
            f"{user_id} is the tenant's last tenant-level ADMIN; make another user ADMIN of the tenant first.",
            code="LAST_ADMIN",
        )
    return remaining


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
    require_node: bool = False,
) -> dict[str, Any]:
    """Add (or replace) the user's role on one node, keeping member, node count, admins and profile in step."""
    current = assignments_of(store, tenant_id, user_id)
    before = next((a for a in current if a["nodePath"] == node_path), None)
    if before is None and len(current) >= MAX_ASSIGNMENTS_PER_USER:
        raise UnprocessableEntity(
            f"{user_id} already holds {len(current)} roles in this tenant (the most one user may hold); "
            "remove one first, or grant the role on a node above.",
            code="TOO_MANY_ASSIGNMENTS",
        )
    profile = store.get(*keys.user_profile_key(user_id))
    item = {
        **_assignment(changes, tenant_id, user_id, node_path, node_id),
        "email": email or (profile or {}).get("email"),
        "role": role,
        "version": (before or {}).get("version", 0) + 1,
    }
    changes.put(item, guard(before))  # guards: a concurrent change of the same role
    if before is None and node_path:
        _count_on_nodes(changes, store, tenant_id, [node_path], +1, required=require_node)
    after = [a for a in current if a["nodePath"] != node_path] + [item]
    _write_member(changes, store, tenant_id, user_id, after, item["email"])
    _track_admins(changes, store, tenant_id, user_id, current, after)
    if email:
        upsert_profile(changes, user_id=user_id, email=email, profile=profile)
    changes.audit(
        tenant_id=tenant_id,
        action="user.role_assigned",
        resource_type="user",
        resource_id=user_id,
        before=before,
        after=item,
    )
    return item


def _assignment(changes: Changes, tenant_id: str, user_id: str, node_path: str, node_id: str | None) -> dict[str, Any]:
    return {
        "pk": keys.tenant_pk(tenant_id),
        "sk": keys.assignment_sk(user_id, node_path),
        "type": "assignment",
        "tenantId": tenant_id,
        "userId": user_id,
        "nodePath": node_path,
        "nodeId": node_id or (node_path.rsplit("/", 1)[-1] if node_path else None),
        "assignedAt": changes.timestamp,
        "assignedBy": changes.actor.sub,
        **keys.node_assignees_index(tenant_id, node_path, user_id),
    }


def unassign(
    changes: Changes, *, store: ItemStore, tenant_id: str, user_id: str, node_id: str | None = None
) -> list[dict[str, Any]]:
    """Remove the user's role on one node (`node_id`; the tenant id means the tenant level), or all of them."""
    current = assignments_of(store, tenant_id, user_id)
    if not current:
        raise NotFound(f"User {user_id} holds no role in tenant {tenant_id}.", code="USER_NOT_FOUND")
    removed = current if node_id is None else [a for a in current if (a.get("nodeId") or tenant_id) == node_id]
    if not removed:
        raise NotFound(f"User {user_id} holds no role on {node_id}.", code="ASSIGNMENT_NOT_FOUND")
    for a in removed:
        changes.delete(a["pk"], a["sk"], version_is(a["version"]))  # guards: a concurrent re-assignment
    _count_on_nodes(changes, store, tenant_id, [a["nodePath"] for a in removed if a["nodePath"]], -1)
    after = [a for a in current if a not in removed]
    member = _write_member(changes, store, tenant_id, user_id, after, None)
    _track_admins(changes, store, tenant_id, user_id, current, after)
    single = node_id is not None and bool(after)
    changes.audit(
        tenant_id=tenant_id,
        action="user.role_removed" if single else "user.removed",
        resource_type="user",
        resource_id=user_id,
        before=removed[0] if single else {"userId": user_id, "assignments": [_summary(a) for a in current]},
        after=member if single else None,
    )
    return removed


def upsert_profile(changes: Changes, *, user_id: str, email: str, profile: dict[str, Any] | None) -> None:
    """Remember a user's email (for role assignment by email); `firstSeen` is kept from the first write."""
    if profile is not None and profile.get("email") == email:
        return
    pk, sk = keys.user_profile_key(user_id)
    item = {
        "pk": pk,
        "sk": sk,
        "type": "user",
        "userId": user_id,
        "email": email,
        "firstSeen": (profile or {}).get("firstSeen", changes.timestamp),
        "updatedAt": changes.timestamp,
        "version": (profile or {}).get("version", 0) + 1,
        **keys.user_profile_indexes(user_id, email),
    }
    changes.put(item, guard(profile))


def _summary(a: dict[str, Any]) -> dict[str, Any]:
    return {k: a.get(k) for k in ("role", "nodeId", "nodePath", "assignedAt", "assignedBy")}


def _write_member(
    changes: Changes,
    store: ItemStore,
    tenant_id: str,
    user_id: str,
    assignments: list[dict[str, Any]],
    email: str | None,
) -> dict[str, Any] | None:
    """The member item summarizes the user's assignments; it goes with the last one."""
    pk, sk = keys.tenant_pk(tenant_id), keys.member_sk(user_id)
    member = store.get(pk, sk)
    if not assignments:
        if member is not None:
            changes.delete(pk, sk, version_is(member["version"]))
        return None
    item = {
        "pk": pk,
        "sk": sk,
        "type": "member",
        "tenantId": tenant_id,
        "userId": user_id,
        "email": email or (member or {}).get("email"),
        "since": (member or {}).get("since", changes.timestamp),
        "updatedAt": changes.timestamp,
        "assignments": sorted((_summary(a) for a in assignments), key=lambda a: a["nodePath"]),
        "version": (member or {}).get("version", 0) + 1,
        **keys.member_indexes(user_id, tenant_id),
    }
    changes.put(item, guard(member))
    return item


def _count_on_nodes(
    changes: Changes, store: ItemStore, tenant_id: str, paths: list[str], delta: int, *, required: bool = False
) -> None:
    """Keep each node's `assignmentCount`; paths outside the tree (the CLI may name any) are not counted."""
    if not paths:
        return
    nodes = store.batch_get([(keys.tenant_pk(tenant_id), keys.node_sk(p)) for p in paths])
    if required and len(nodes) < len(paths):
        raise NotFound(f"The node {paths[0]} no longer exists.", code="NODE_NOT_FOUND")
    for node in nodes:
        counted = {**node, "assignmentCount": max(0, node.get("assignmentCount", 0) + delta)}
        counted["version"] = node["version"] + 1
        changes.put(counted, version_is(node["version"]))  # guards: the node being deleted meanwhile


def _track_admins(
    changes: Changes,
    store: ItemStore,
    tenant_id: str,
    user_id: str,
    before: list[dict[str, Any]],
    after: list[dict[str, Any]],
) -> None:
    was, now = is_tenant_admin(before), is_tenant_admin(after)
    if was == now:
        return
    pk, sk = keys.admins_key(tenant_id)
    item = store.get(pk, sk)
    admins = admins_after(list((item or {}).get("userIds", [])), user_id, admin=now)
    updated = {"pk": pk, "sk": sk, "type": "admins", "tenantId": tenant_id, "userIds": admins}
    changes.put({**updated, "version": (item or {}).get("version", 0) + 1}, guard(item))


def grant_role(
    *,
    store: ItemStore,
    clock: Clock,
    actor: Actor,
    tenant_id: str,
    user_id: str,
    role: str,
    node_path: str = "",
    email: str | None = None,
) -> dict[str, Any]:
    """Assign and commit (used by the CLI's token command)."""
    changes = Changes(actor=actor, now=clock.now())
    item = assign(
        changes, store=store, tenant_id=tenant_id, user_id=user_id, role=role, node_path=node_path, email=email
    )
    changes.commit(store)
    return item
