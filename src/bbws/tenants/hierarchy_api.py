"""Hierarchy routes: divisions -> groups -> teams under a tenant (thin: parse, authorize, call, render).

Reads need `hierarchy:read` and writes `hierarchy:write` on the node's path (a group is created on its
division's path), so a role held on a division reaches everything below it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Request, Response
from fastapi.responses import JSONResponse

from bbws.core.authorizer import Authorizer
from bbws.core.changes import Actor
from bbws.core.container import Container
from bbws.core.deps import ActorDep, Authz, Ctr, Pages
from bbws.core.ids import TENANT_ID_PATTERN
from bbws.core.pagination import PageParams, render_page
from bbws.core.router import api_router, check_if_match, etag, not_modified
from bbws.core.schemas import page_of
from bbws.tenants import hierarchy, service
from bbws.tenants.hierarchy_schemas import (
    DIVISION_ID_PATTERN,
    GROUP_ID_PATTERN,
    TEAM_ID_PATTERN,
    NodeCreate,
    NodePublic,
    NodeUpdate,
)
from bbws.tenants.views import node_public

router = api_router("Hierarchy")

TenantId = Annotated[str, Path(pattern=TENANT_ID_PATTERN, description="Tenant id (`ten_...`).")]
DivisionId = Annotated[str, Path(pattern=DIVISION_ID_PATTERN, description="Division id (`div_...`).")]
GroupId = Annotated[str, Path(pattern=GROUP_ID_PATTERN, description="Group id (`grp_...`).")]
TeamId = Annotated[str, Path(pattern=TEAM_ID_PATTERN, description="Team id (`team_...`).")]
NodePage = page_of(NodePublic)

DIVISIONS = "/tenants/{tenantId}/divisions"
DIVISION = DIVISIONS + "/{divisionId}"
GROUPS = DIVISION + "/groups"
GROUP = GROUPS + "/{groupId}"
TEAMS = GROUP + "/teams"
TEAM = TEAMS + "/{teamId}"

CREATED: dict[int | str, dict[str, Any]] = {
    409: {"description": "The name is taken among the siblings"},
    422: {"description": "TENANT_DEPROVISIONED: the tenant is deprovisioned"},
}
UPDATED: dict[int | str, dict[str, Any]] = {
    409: {"description": "The name is taken, or the node changed meanwhile"},
    412: {"description": "If-Match does not match"},
    422: {"description": "NOTHING_TO_UPDATE, or TENANT_DEPROVISIONED"},
}
DELETED: dict[int | str, dict[str, Any]] = {
    409: {"description": "NODE_HAS_CHILDREN or NODE_HAS_ASSIGNMENTS: remove those first"},
    412: {"description": "If-Match does not match"},
    422: {"description": "TENANT_DEPROVISIONED: the tenant is deprovisioned"},
}


def _node_response(item: dict[str, Any], status_code: int = 200, **headers: str) -> JSONResponse:
    return JSONResponse(node_public(item), status_code=status_code, headers={"ETag": etag(item), **headers})


def _list(
    tenant_id: str, parent: str, request: Request, ctr: Container, authz: Authorizer, pages: PageParams
) -> JSONResponse:
    authz.require("hierarchy:read", tenant_id=tenant_id, node_path=parent)
    service.get_tenant(store=ctr.store, tenant_id=tenant_id)
    start = ctr.cursors.start_of(pages.start_at, request.url.path, {})
    page = hierarchy.list_children(
        store=ctr.store, tenant_id=tenant_id, parent_path=parent, limit=pages.page_size, start_after=start
    )
    return render_page(
        page, codec=ctr.cursors, path=request.url.path, filters={}, page_size=pages.page_size, render=node_public
    )


def _create(
    tenant_id: str, parent: str, body: NodeCreate, ctr: Container, authz: Authorizer, actor: Actor
) -> JSONResponse:
    authz.require("hierarchy:write", tenant_id=tenant_id, node_path=parent)
    tenant = service.get_tenant(store=ctr.store, tenant_id=tenant_id)
    item = hierarchy.create_node(
        store=ctr.store, clock=ctr.clock, actor=actor, tenant=tenant, parent_path=parent, data=body
    )
    return _node_response(item, 201, Location=hierarchy.node_href(tenant_id, item["path"]))


def _get(tenant_id: str, path: str, request: Request, ctr: Container, authz: Authorizer) -> Response:
    authz.require("hierarchy:read", tenant_id=tenant_id, node_path=path)
    item = hierarchy.get_node(store=ctr.store, tenant_id=tenant_id, path=path)
    return not_modified(request, item) or _node_response(item)


def _update(
    tenant_id: str, path: str, body: NodeUpdate, request: Request, ctr: Container, authz: Authorizer, actor: Actor
) -> JSONResponse:
    authz.require("hierarchy:write", tenant_id=tenant_id, node_path=path)
    tenant = service.get_tenant(store=ctr.store, tenant_id=tenant_id)
    node = hierarchy.get_node(store=ctr.store, tenant_id=tenant_id, path=path)
    check_if_match(request, node)
    updated = hierarchy.update_node(store=ctr.store, clock=ctr.clock, actor=actor, tenant=tenant, node=node, data=body)
    return _node_response(updated)


def _delete(tenant_id: str, path: str, request: Request, ctr: Container, authz: Authorizer, actor: Actor) -> Response:
    authz.require("hierarchy:write", tenant_id=tenant_id, node_path=path)
    tenant = service.get_tenant(store=ctr.store, tenant_id=tenant_id)
    node = hierarchy.get_node(store=ctr.store, tenant_id=tenant_id, path=path)
    check_if_match(request, node)
    hierarchy.delete_node(store=ctr.store, clock=ctr.clock, actor=actor, tenant=tenant, node=node)
    return Response(status_code=204)


# -- divisions


@router.get(DIVISIONS, response_model=NodePage, summary="List divisions")
def list_divisions(tenantId: TenantId, request: Request, ctr: Ctr, authz: Authz, pages: Pages) -> JSONResponse:
    """The tenant's divisions, oldest first."""
    return _list(tenantId, "", request, ctr, authz, pages)


@router.post(DIVISIONS, status_code=201, response_model=NodePublic, summary="Create a division", responses=CREATED)
def create_division(tenantId: TenantId, body: NodeCreate, ctr: Ctr, authz: Authz, actor: ActorDep) -> JSONResponse:
    """Needs a tenant-level role with `hierarchy:write`. Division names are unique in the tenant."""
    return _create(tenantId, "", body, ctr, authz, actor)


@router.get(DIVISION, response_model=NodePublic, summary="Get a division")
def get_division(tenantId: TenantId, divisionId: DivisionId, request: Request, ctr: Ctr, authz: Authz) -> Response:
    return _get(tenantId, divisionId, request, ctr, authz)


@router.put(DIVISION, response_model=NodePublic, summary="Update a division", responses=UPDATED)
def update_division(
    tenantId: TenantId,
    divisionId: DivisionId,
    body: NodeUpdate,
    request: Request,
    ctr: Ctr,
    authz: Authz,
    actor: ActorDep,
) -> JSONResponse:
    """Rename or re-describe. Send `If-Match` with the ETag to avoid lost updates."""
    return _update(tenantId, divisionId, body, request, ctr, authz, actor)


@router.delete(DIVISION, status_code=204, summary="Delete a division", responses=DELETED)
def delete_division(
    tenantId: TenantId, divisionId: DivisionId, request: Request, ctr: Ctr, authz: Authz, actor: ActorDep
) -> Response:
    """Refused (409) while it has groups or role assignments."""
    return _delete(tenantId, divisionId, request, ctr, authz, actor)


# -- groups


@router.get(GROUPS, response_model=NodePage, summary="List a division's groups")
def list_groups(
    tenantId: TenantId, divisionId: DivisionId, request: Request, ctr: Ctr, authz: Authz, pages: Pages
) -> JSONResponse:
    """The division's groups, oldest first."""
    return _list(tenantId, divisionId, request, ctr, authz, pages)


@router.post(GROUPS, status_code=201, response_model=NodePublic, summary="Create a group", responses=CREATED)
def create_group(
    tenantId: TenantId, divisionId: DivisionId, body: NodeCreate, ctr: Ctr, authz: Authz, actor: ActorDep
) -> JSONResponse:
    """Needs `hierarchy:write` on the division (or the tenant). Names are unique in the division."""
    return _create(tenantId, divisionId, body, ctr, authz, actor)


@router.get(GROUP, response_model=NodePublic, summary="Get a group")
def get_group(
    tenantId: TenantId, divisionId: DivisionId, groupId: GroupId, request: Request, ctr: Ctr, authz: Authz
) -> Response:
    return _get(tenantId, f"{divisionId}/{groupId}", request, ctr, authz)


@router.put(GROUP, response_model=NodePublic, summary="Update a group", responses=UPDATED)
def update_group(
    tenantId: TenantId,
    divisionId: DivisionId,
    groupId: GroupId,
    body: NodeUpdate,
    request: Request,
    ctr: Ctr,
    authz: Authz,
    actor: ActorDep,
) -> JSONResponse:
    """Rename or re-describe. Send `If-Match` with the ETag to avoid lost updates."""
    return _update(tenantId, f"{divisionId}/{groupId}", body, request, ctr, authz, actor)


@router.delete(GROUP, status_code=204, summary="Delete a group", responses=DELETED)
def delete_group(
    tenantId: TenantId,
    divisionId: DivisionId,
    groupId: GroupId,
    request: Request,
    ctr: Ctr,
    authz: Authz,
    actor: ActorDep,
) -> Response:
    """Refused (409) while it has teams or role assignments."""
    return _delete(tenantId, f"{divisionId}/{groupId}", request, ctr, authz, actor)


# -- teams


@router.get(TEAMS, response_model=NodePage, summary="List a group's teams")
def list_teams(
    tenantId: TenantId,
    divisionId: DivisionId,
    groupId: GroupId,
    request: Request,
    ctr: Ctr,
    authz: Authz,
    pages: Pages,
) -> JSONResponse:
    """The group's teams, oldest first."""
    return _list(tenantId, f"{divisionId}/{groupId}", request, ctr, authz, pages)


@router.post(TEAMS, status_code=201, response_model=NodePublic, summary="Create a team", responses=CREATED)
def create_team(
    tenantId: TenantId,
    divisionId: DivisionId,
    groupId: GroupId,
    body: NodeCreate,
    ctr: Ctr,
    authz: Authz,
    actor: ActorDep,
) -> JSONResponse:
    """Needs `hierarchy:write` on the group or above. Names are unique in the group."""
    return _create(tenantId, f"{divisionId}/{groupId}", body, ctr, authz, actor)


@router.get(TEAM, response_model=NodePublic, summary="Get a team")
def get_team(
    tenantId: TenantId,
    divisionId: DivisionId,
    groupId: GroupId,
    teamId: TeamId,
    request: Request,
    ctr: Ctr,
    authz: Authz,
) -> Response:
    return _get(tenantId, f"{divisionId}/{groupId}/{teamId}", request, ctr, authz)


@router.put(TEAM, response_model=NodePublic, summary="Update a team", responses=UPDATED)
def update_team(
    tenantId: TenantId,
    divisionId: DivisionId,
    groupId: GroupId,
    teamId: TeamId,
    body: NodeUpdate,
    request: Request,
    ctr: Ctr,
    authz: Authz,
    actor: ActorDep,
) -> JSONResponse:
    """Rename or re-describe. Send `If-Match` with the ETag to avoid lost updates."""
    return _update(tenantId, f"{divisionId}/{groupId}/{teamId}", body, request, ctr, authz, actor)


@router.delete(TEAM, status_code=204, summary="Delete a team", responses=DELETED)
def delete_team(
    tenantId: TenantId,
    divisionId: DivisionId,
    groupId: GroupId,
    teamId: TeamId,
    request: Request,
    ctr: Ctr,
    authz: Authz,
    actor: ActorDep,
) -> Response:
    """Refused (409) while role assignments are held on it."""
    return _delete(tenantId, f"{divisionId}/{groupId}/{teamId}", request, ctr, authz, actor)
