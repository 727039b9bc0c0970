"""Users routes: role assignments in a tenant, its members, and a user's tenants (thin: parse, authorize, call, render).

Tenant users need a tenant-level role (`users:read` / `users:write` on the tenant, not on a node).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Request, Response
from fastapi.responses import JSONResponse

from bbws.core.deps import ActorDep, Authz, Ctr, Pages
from bbws.core.errors import Forbidden
from bbws.core.ids import TENANT_ID_PATTERN
from bbws.core.links import href
from bbws.core.pagination import render_page
from bbws.core.router import api_router, check_if_match, etag, not_modified
from bbws.core.schemas import page_of
from bbws.tenants import service, users
from bbws.tenants.users_schemas import USER_ID_PATTERN, MemberPublic, RoleAssign, UserTenant
from bbws.tenants.views import member_public, user_tenant_public

router = api_router("Users")

TenantId = Annotated[str, Path(pattern=TENANT_ID_PATTERN, description="Tenant id (`ten_...`).")]
UserId = Annotated[str, Path(pattern=USER_ID_PATTERN, description="User id (the token's `sub`).")]
NodeFilter = Annotated[
    str | None,
    Query(
        pattern=r"^(ten|div|grp|team)_[0-9a-z]{26}$",
        description="A division, group or team id; the tenant id means the tenant level.",
    ),
]
MemberPage = page_of(MemberPublic)
UserTenantPage = page_of(UserTenant)


def _member_response(item: dict[str, Any], status_code: int = 200, **headers: str) -> JSONResponse:
    return JSONResponse(member_public(item), status_code=status_code, headers={"ETag": etag(item), **headers})


@router.post(
    "/tenants/{tenantId}/users",
    status_code=201,
    response_model=MemberPublic,
    summary="Assign a role to a user",
    responses={
        200: {"model": MemberPublic, "description": "The user's role on that node was replaced"},
        404: {"description": "USER_NOT_FOUND (no known user has that email: invite them) or NODE_NOT_FOUND"},
        409: {"description": "LAST_ADMIN (demoting the last tenant-level ADMIN) or a concurrent change"},
        422: {"description": "TOO_MANY_ASSIGNMENTS, or TENANT_DEPROVISIONED"},
    },
)
def assign_role(tenantId: TenantId, body: RoleAssign, ctr: Ctr, authz: Authz, actor: ActorDep) -> JSONResponse:
    """Give a user (by `userId`, or by the `email` of a user the platform knows) a role on a division, group or
    team (`nodeId`), or on the whole tenant. A role already held on that node is replaced (200)."""
    authz.require("users:write", tenant_id=tenantId)
    tenant = service.get_tenant(store=ctr.store, tenant_id=tenantId)
    member, created = users.assign_role(store=ctr.store, clock=ctr.clock, actor=actor, tenant=tenant, data=body)
    location = href("tenants", tenantId, "users", member["userId"])
    return _member_response(member, 201 if created else 200, Location=location)


@router.get("/tenants/{tenantId}/users", response_model=MemberPage, summary="List a tenant's users")
def list_users(
    tenantId: TenantId, request: Request, ctr: Ctr, authz: Authz, pages: Pages, nodeId: NodeFilter = None
) -> JSONResponse:
    """The tenant's members with their assignments; `nodeId` keeps those holding a role on that node."""
    authz.require("users:read", tenant_id=tenantId)
    service.get_tenant(store=ctr.store, tenant_id=tenantId)
    filters = {"nodeId": nodeId} if nodeId else {}
    start = ctr.cursors.start_of(pages.start_at, request.url.path, filters)
    args: dict[str, Any] = {"store": ctr.store, "tenant_id": tenantId, "limit": pages.page_size, "start_after": start}
    page, rows = users.list_node_members(node_id=nodeId, **args) if nodeId else (users.list_members(**args), None)
    return render_page(
        page,
        codec=ctr.cursors,
        path=request.url.path,
        filters=filters,
        page_size=pages.page_size,
        render=member_public,
        items=rows,
    )


@router.get(
    "/tenants/{tenantId}/users/{userId}",
    response_model=MemberPublic,
    summary="Get a tenant's user",
    responses={304: {"description": "Not modified (If-None-Match)"}},
)
def get_user(tenantId: TenantId, userId: UserId, request: Request, ctr: Ctr, authz: Authz) -> Response:
    """The user with every role they hold in the tenant."""
    authz.require("users:read", tenant_id=tenantId)
    item = users.get_member(store=ctr.store, tenant_id=tenantId, user_id=userId)
    return not_modified(request, item) or _member_response(item)


@router.delete(
    "/tenants/{tenantId}/users/{userId}",
    status_code=204,
    summary="Remove a user's roles",
    responses={
        409: {"description": "LAST_ADMIN, or a concurrent change"},
        412: {"description": "If-Match does not match"},
        422: {"description": "TENANT_DEPROVISIONED: the tenant is deprovisioned"},
    },
)
def remove_user(
    tenantId: TenantId,
    userId: UserId,
    request: Request,
    ctr: Ctr,
    authz: Authz,
    actor: ActorDep,
    nodeId: NodeFilter = None,
) -> Response:
    """Remove all the user's roles in the tenant, or only the one on `nodeId` (the tenant id: the tenant-level
    role). The user stops being a member with their last role."""
    authz.require("users:write", tenant_id=tenantId)
    tenant = service.get_tenant(store=ctr.store, tenant_id=tenantId)
    check_if_match(request, users.get_member(store=ctr.store, tenant_id=tenantId, user_id=userId))
    users.remove_user(store=ctr.store, clock=ctr.clock, actor=actor, tenant=tenant, user_id=userId, node_id=nodeId)
    return Response(status_code=204)


@router.get("/users/{userId}/tenants", response_model=UserTenantPage, summary="List a user's tenants")
def list_user_tenants(userId: UserId, request: Request, ctr: Ctr, authz: Authz, pages: Pages) -> JSONResponse:
    """The tenants where the user holds roles, with those roles. For the user themself (`sub`) or platform roles."""
    principal = authz.principal
    if userId != principal.sub and not (principal.platform_role and authz.allowed("users:read")):
        raise Forbidden("Only the user themself or platform staff may list a user's tenants.")
    start = ctr.cursors.start_of(pages.start_at, request.url.path, {})
    page, rows = users.user_tenants(
        store=ctr.store, user_id=userId, only=principal.scoped("tenant"), limit=pages.page_size, start_after=start
    )
    return render_page(
        page,
        codec=ctr.cursors,
        path=request.url.path,
        filters={},
        page_size=pages.page_size,
        render=user_tenant_public,
        items=rows,
    )
