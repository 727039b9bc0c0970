"""Hierarchy use cases: divisions -> groups -> teams of a tenant; names unique among siblings; every change audited.

A node's path is its ids from the top (`div_x/grp_y/team_z`); the authorizer inherits roles down those paths.
Parents count their children and nodes count the roles held on them, so a delete that would orphan either is
refused on a strongly consistent read and guarded by the node's version.
"""

from __future__ import annotations

from typing import Any

from bbws.core.changes import Actor, Changes
from bbws.core.clock import Clock
from bbws.core.errors import ApiError, Conflict, NotFound, UnprocessableEntity, not_found
from bbws.core.ids import new_id
from bbws.core.links import href
from bbws.core.store import NOT_EXISTS, ConditionFailed, ItemStore, Page, version_is
from bbws.tenants import keys
from bbws.tenants.hierarchy_schemas import NodeCreate, NodeUpdate
from bbws.tenants.models import TenantStatus

LEVELS = ("division", "group", "team")
PREFIXES = {"division": "div", "group": "grp", "team": "team"}
COLLECTIONS = ("divisions", "groups", "teams")


# -- pure rules


def depth_of(path: str) -> int:
    """0 for the tenant (""), 1 for a division, 2 for a group, 3 for a team."""
    return 0 if not path else path.count("/") + 1


def kind_of(path: str) -> str:
    return LEVELS[depth_of(path) - 1]


def parent_of(path: str) -> str:
    return path.rpartition("/")[0]


def node_href(tenant_id: str, path: str) -> str:
    """`/v1.0/tenants/t/divisions/d/groups/g/teams/x` for `d/g/x` (the tenant's URL for "")."""
    parts = ["tenants", tenant_id]
    for collection, node_id in zip(COLLECTIONS, path.split("/") if path else [], strict=False):
        parts += [collection, node_id]
    return href(*parts)


def children_href(tenant_id: str, path: str) -> str | None:
    """The collection of a node's children (a tenant's divisions; none below a team)."""
    depth = depth_of(path)
    return f"{node_href(tenant_id, path)}/{COLLECTIONS[depth]}" if depth < len(LEVELS) else None


def require_writable(tenant: dict[str, Any]) -> None:
    if tenant["status"] == TenantStatus.DEPROVISIONED:
        raise UnprocessableEntity(
            f"Tenant {tenant['tenantId']} is DEPROVISIONED; its hierarchy, users and invitations cannot change.",
            code="TENANT_DEPROVISIONED",
        )


def deletion_blocker(node: dict[str, Any], holders: list[str]) -> ApiError | None:
    """Why `node` cannot be deleted now (children, or roles held on it), or None."""
    tid, path, node_id, kind = node["tenantId"], node["path"], node["nodeId"], node["kind"].lower()
    if node.get("childCount", 0):
        children = COLLECTIONS[depth_of(path)]
        return Conflict(
            f"The {kind} {node_id} still has {node['childCount']} {children}; delete them first "
            f"(GET {children_href(tid, path)}).",
            code="NODE_HAS_CHILDREN",
        )
    if node.get("assignmentCount", 0):
        users = href("tenants", tid, "users")
        named = f" (held by {', '.join(holders)}{', ...' if len(holders) < node['assignmentCount'] else ''})"
        return Conflict(
            f"{node['assignmentCount']} role assignment(s) are held on the {kind} {node_id}{named if holders else ''}; "
            f"remove them first with DELETE {users}/{{userId}}?nodeId={node_id} "
            f"(GET {users}?nodeId={node_id} lists them).",
            code="NODE_HAS_ASSIGNMENTS",
        )
    return None


# -- reads


def get_node(*, store: ItemStore, tenant_id: str, path: str) -> dict[str, Any]:
    """The node at `path`, or DIVISION/GROUP/TEAM_NOT_FOUND (also when an id sits under the wrong parent)."""
    item = store.get(keys.tenant_pk(tenant_id), keys.node_sk(path))
    if item is None:
        raise not_found(kind_of(path), path.rpartition("/")[2])
    return item


def find_node(*, store: ItemStore, tenant_id: str, node_id: str) -> dict[str, Any]:
    """A node of this tenant by its id alone (GSI2), or NODE_NOT_FOUND."""
    page = store.query(keys.node_id_index(node_id), index="GSI2", limit=1)
    found = [n for n in page.items if n.get("tenantId") == tenant_id]
    if not found:
        raise NotFound(
            f"Tenant {tenant_id} has no division, group or team {node_id}.",
            code="NODE_NOT_FOUND",
            errors=[{"field": "nodeId", "message": "no such node in this tenant"}],
        )
    return found[0]


def node_path_of(store: ItemStore, tenant_id: str, node_id: str) -> str:
    """The path of a node of this tenant (`div_x/grp_y/team_z`), from its id alone; NODE_NOT_FOUND otherwise."""
    path: str = find_node(store=store, tenant_id=tenant_id, node_id=node_id)["path"]
    return path


def list_children(
    *, store: ItemStore, tenant_id: str, parent_path: str, limit: int, start_after: dict[str, str] | None
) -> Page:
    """One page of a parent's children, oldest first (a missing or misplaced parent is a 404)."""
    if parent_path:
        get_node(store=store, tenant_id=tenant_id, path=parent_path)
    return store.query(keys.children_index(tenant_id, parent_path), index="GSI1", limit=limit, start_after=start_after)


# -- writes


def create_node(
    *, store: ItemStore, clock: Clock, actor: Actor, tenant: dict[str, Any], parent_path: str, data: NodeCreate
) -> dict[str, Any]:
    """Add a division (parent "") or a group or team below its parent; the name is reserved among siblings."""
    require_writable(tenant)
    tid = tenant["tenantId"]
    parent = get_node(store=store, tenant_id=tid, path=parent_path) if parent_path else None
    changes = Changes(actor=actor, now=clock.now())
    kind = LEVELS[depth_of(parent_path)]
    node_id = new_id(PREFIXES[kind], now_ms=int(changes.now.timestamp() * 1000))
    path = f"{parent_path}/{node_id}" if parent_path else node_id
    ids = dict(zip(("divisionId", "groupId", "teamId"), path.split("/"), strict=False))
    item: dict[str, Any] = {
        "pk": keys.tenant_pk(tid),
        "sk": keys.node_sk(path),
        "type": "node",
        "kind": kind.upper(),
        "tenantId": tid,
        "nodeId": node_id,
        "parentId": parent["nodeId"] if parent else None,
        "path": path,
        **ids,
        "name": data.name,
        "description": data.description,
        "childCount": 0,
        "assignmentCount": 0,
        "createdAt": changes.timestamp,
        "createdBy": actor.sub,
        "updatedAt": changes.timestamp,
        "updatedBy": actor.sub,
        "version": 1,
        **keys.node_indexes(tid, parent_path, node_id),
    }
    _reserve_name(changes, tid, parent_path, data.name, node_id)
    changes.put(item, NOT_EXISTS)
    if parent is not None:
        _recount(changes, parent, +1)
    changes.audit(tenant_id=tid, action=f"{kind}.created", resource_type=kind, resource_id=node_id, after=item)
    _commit(changes, store, kind=kind, name=data.name)
    return item


def update_node(
    *, store: ItemStore, clock: Clock, actor: Actor, tenant: dict[str, Any], node: dict[str, Any], data: NodeUpdate
) -> dict[str, Any]:
    """Rename or re-describe a node under optimistic locking; a rename moves the sibling-name reservation."""
    require_writable(tenant)
    fields = data.model_dump(exclude_unset=True)
    if not fields:
        raise UnprocessableEntity("Send at least one field to change (name, description).", code="NOTHING_TO_UPDATE")
    changes = Changes(actor=actor, now=clock.now())
    tid, parent_path, kind = node["tenantId"], parent_of(node["path"]), kind_of(node["path"])
    new_name = fields.get("name")
    old_lock = keys.node_name_lock(tid, parent_path, node["name"])
    if new_name and keys.node_name_lock(tid, parent_path, new_name) != old_lock:
        changes.delete(*old_lock)
        _reserve_name(changes, tid, parent_path, new_name, node["nodeId"])
    updated = {**node, **fields, "updatedAt": changes.timestamp, "updatedBy": actor.sub, "version": node["version"] + 1}
    changes.put(updated, version_is(node["version"]))  # guards: lost updates
    changes.audit(
        tenant_id=tid,
        action=f"{kind}.updated",
        resource_type=kind,
        resource_id=node["nodeId"],
        before=node,
        after=updated,
    )
    _commit(changes, store, kind=kind, name=new_name or node["name"])
    return updated


def delete_node(*, store: ItemStore, clock: Clock, actor: Actor, tenant: dict[str, Any], node: dict[str, Any]) -> None:
    """Remove a node that has no children and no roles held on it (409 saying what to remove first)."""
    require_writable(tenant)
    tid, path, kind = node["tenantId"], node["path"], kind_of(node["path"])
    holders: list[str] = []
    if node.get("assignmentCount"):
        page = store.query(keys.assignees_index(tid, path), index="GSI1", limit=5)
        holders = [a["userId"] for a in page.items]
    blocker = deletion_blocker(node, holders)
    if blocker is not None:
        raise blocker
    changes = Changes(actor=actor, now=clock.now())
    changes.delete(node["pk"], node["sk"], version_is(node["version"]))  # guards: a child or role added meanwhile
    changes.delete(*keys.node_name_lock(tid, parent_of(path), node["name"]))
    parent_path = parent_of(path)
    if parent_path:
        _recount(changes, get_node(store=store, tenant_id=tid, path=parent_path), -1)
    changes.audit(tenant_id=tid, action=f"{kind}.deleted", resource_type=kind, resource_id=node["nodeId"], before=node)
    _commit(changes, store, kind=kind, name=node["name"])


def _reserve_name(changes: Changes, tenant_id: str, parent_path: str, name: str, node_id: str) -> None:
    pk, sk = keys.node_name_lock(tenant_id, parent_path, name)
    changes.put({"pk": pk, "sk": sk, "type": "unique", "nodeId": node_id}, NOT_EXISTS)  # guards: sibling names


def _recount(changes: Changes, parent: dict[str, Any], delta: int) -> None:
    counted = {**parent, "childCount": max(0, parent.get("childCount", 0) + delta), "version": parent["version"] + 1}
    changes.put(counted, version_is(parent["version"]))  # guards: the parent being deleted meanwhile


def _commit(changes: Changes, store: ItemStore, *, kind: str, name: str) -> None:
    try:
        changes.commit(store)
    except ConditionFailed as exc:
        if exc.sk.startswith(keys.NODE_NAME_PREFIX):
            raise Conflict(
                f"A {kind} named {name!r} already exists here; names are unique among siblings.",
                code="CONFLICT",
                errors=[{"field": "name", "message": "already taken"}],
            ) from exc
        raise Conflict(f"The {kind} or its parent changed meanwhile; read it again and retry.") from exc
