"""Tenant routes: CRUD, lifecycle actions and the audit trail (thin: parse, authorize, call, render)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Path, Query, Request, Response
from fastapi.responses import JSONResponse

from bbws.core.authorizer import Authorizer
from bbws.core.container import Container
from bbws.core.deps import ActorDep, Authz, Ctr, Pages
from bbws.core.ids import TENANT_ID_PATTERN
from bbws.core.links import href
from bbws.core.pagination import render_page
from bbws.core.router import api_router, check_if_match, etag, not_modified
from bbws.core.schemas import page_of
from bbws.core.store import Page
from bbws.jobs.api import accepted
from bbws.jobs.schemas import OperationPublic
from bbws.tenants import keys, service
from bbws.tenants.lifecycle import request_lifecycle
from bbws.tenants.models import PERMISSIONS, LifecycleAction, TenantStatus, Tier, permissions_for
from bbws.tenants.schemas import AuditRecord, ReasonBody, TenantCreate, TenantPublic, TenantUpdate
from bbws.tenants.views import audit_public, tenant_view

router = api_router("Tenants")

TenantId = Annotated[str, Path(pattern=TENANT_ID_PATTERN, description="Tenant id (`ten_...`).")]
TenantPage = page_of(TenantPublic)
AuditPage = page_of(AuditRecord)


def _tenant_response(
    item: dict[str, Any], authz: Authorizer, status_code: int = 200, **headers: str
) -> JSONResponse:
    return JSONResponse(tenant_view(authz)(item), status_code=status_code, headers={"ETag": etag(item), **headers})


def _operation_response(operation: dict[str, Any], ctr: Container) -> JSONResponse:
    return accepted(operation, wake=ctr.wake)


@router.post(
    "/tenants",
    status_code=201,
    response_model=TenantPublic,
    summary="Create a tenant",
    responses={409: {"description": "organizationName already exists"}},
)
def create_tenant(body: TenantCreate, ctr: Ctr, authz: Authz, actor: ActorDep) -> JSONResponse:
    """Create a tenant. It starts PENDING; onboarding makes it ACTIVE (or FAILED with the reason)."""
    authz.require("tenants:create")
    authz.require_fields(body)
    item = service.create_tenant(store=ctr.store, clock=ctr.clock, actor=actor, data=body)
    return _tenant_response(item, authz, 201, Location=href("tenants", item["tenantId"]))


@router.get("/tenants", response_model=TenantPage, summary="List tenants")
def list_tenants(
    request: Request,
    ctr: Ctr,
    authz: Authz,
    pages: Pages,
    status: Annotated[TenantStatus | None, Query(description="Only tenants in this status.")] = None,
    tier: Annotated[Tier | None, Query(description="Only tenants of this tier.")] = None,
) -> JSONResponse:
    """Platform roles see every tenant; other users see the tenants where they hold a role."""
    filters = {"status": status.value if status else None, "tier": tier.value if tier else None}
    scope_filters = {k: v for k, v in filters.items() if v}
    start = ctr.cursors.start_of(pages.start_at, request.url.path, scope_filters)
    if authz.principal.platform_role and authz.allowed("tenants:read") and not authz.principal.scoped("tenant"):
        page = service.list_tenants(
            store=ctr.store, status=filters["status"], tier=filters["tier"], limit=pages.page_size, start_after=start
        )
        rows = page.items
    else:
        scoped = authz.principal.scoped("tenant")
        if authz.principal.platform_role and scoped:
            # A platform token narrowed to named tenants holds no memberships: it lists exactly those tenants.
            page = Page(items=[{"tenantId": t} for t in sorted(scoped)])
        else:
            page = ctr.store.query(
                keys.user_tenants_index(authz.principal.sub), index="GSI1", limit=pages.page_size, start_after=start
            )
        wanted = [
            (keys.tenant_pk(m["tenantId"]), keys.TENANT_SK) for m in page.items if authz.can_see_tenant(m["tenantId"])
        ]
        rows = [t for t in ctr.store.batch_get(wanted) if all(t.get(k) == v for k, v in scope_filters.items())]
    return render_page(
        page,
        codec=ctr.cursors,
        path=request.url.path,
        filters=scope_filters,
        page_size=pages.page_size,
        render=tenant_view(authz),
        items=rows,
    )


@router.get(
    "/tenants/{tenantId}",
    response_model=TenantPublic,
    summary="Get a tenant",
    responses={304: {"description": "Not modified (If-None-Match)"}},
)
def get_tenant(tenantId: TenantId, request: Request, ctr: Ctr, authz: Authz) -> Response:
    authz.require("tenants:read", tenant_id=tenantId)
    item = service.get_tenant(store=ctr.store, tenant_id=tenantId)
    return not_modified(request, item) or _tenant_response(item, authz)


@router.put(
    "/tenants/{tenantId}",
    response_model=TenantPublic,
    summary="Update a tenant",
    responses={
        409: {"description": "Name taken or concurrent change"},
        412: {"description": "If-Match does not match"},
        422: {"description": "NOTHING_TO_UPDATE, or TENANT_DEPROVISIONED"},
    },
)
def update_tenant(
    tenantId: TenantId, body: TenantUpdate, request: Request, ctr: Ctr, authz: Authz, actor: ActorDep
) -> JSONResponse:
    """Change name, contact email, tier or metadata. Send `If-Match` with the ETag to avoid lost updates.
    Tier is the platform's commercial term: only platform roles may send it (others get 403)."""
    authz.require("tenants:write", tenant_id=tenantId)
    authz.require_fields(body, tenant_id=tenantId)
    item = service.get_tenant(store=ctr.store, tenant_id=tenantId)
    check_if_match(request, item)
    updated = service.update_tenant(store=ctr.store, clock=ctr.clock, actor=actor, tenant=item, data=body)
    return _tenant_response(updated, authz)


@router.delete(
    "/tenants/{tenantId}",
    status_code=202,
    response_model=OperationPublic,
    summary="Deprovision a tenant (soft delete)",
    responses={
        409: {"description": "OPERATION_IN_PROGRESS: another lifecycle action is still running"},
        412: {"description": "If-Match does not match"},
        422: {"description": "INVALID_STATUS_TRANSITION"},
    },
)
def delete_tenant(tenantId: TenantId, request: Request, ctr: Ctr, authz: Authz, actor: ActorDep) -> JSONResponse:
    """Move the tenant to DEPROVISIONED. Its data is kept for the retention period. A SUSPENDED tenant is held
    by the platform: only a platform ADMIN may deprovision it."""
    authz.require(PERMISSIONS[LifecycleAction.DELETE], tenant_id=tenantId)
    item = service.get_tenant(store=ctr.store, tenant_id=tenantId)
    for permission in permissions_for(LifecycleAction.DELETE, TenantStatus(item["status"])):
        authz.require(permission, tenant_id=tenantId)
    check_if_match(request, item)
    operation = request_lifecycle(
        store=ctr.store, clock=ctr.clock, actor=actor, tenant=item, action=LifecycleAction.DELETE,
        prechecks=ctr.hooks.tenant_prechecks,
    )
    return _operation_response(operation, ctr)


def _lifecycle(
    action: LifecycleAction, tenant_id: str, ctr: Ctr, authz: Authz, actor: ActorDep, reason: str | None = None
) -> JSONResponse:
    authz.require(PERMISSIONS[action], tenant_id=tenant_id)
    item = service.get_tenant(store=ctr.store, tenant_id=tenant_id)
    operation = request_lifecycle(
        store=ctr.store, clock=ctr.clock, actor=actor, tenant=item, action=action, reason=reason,
        prechecks=ctr.hooks.tenant_prechecks,
    )
    return _operation_response(operation, ctr)


def _lifecycle_route(action: str, summary: str) -> Callable[[Callable[..., JSONResponse]], Callable[..., JSONResponse]]:
    return router.post(
        f"/tenants/{{tenantId}}/lifecycle/{action}",
        summary=summary,
        status_code=202,
        response_model=OperationPublic,
        responses={
            409: {"description": "OPERATION_IN_PROGRESS: another lifecycle action is still running"},
            422: {"description": "INVALID_STATUS_TRANSITION"},
        },
    )


@_lifecycle_route("suspend", "Suspend a tenant")
def suspend(tenantId: TenantId, body: ReasonBody, ctr: Ctr, authz: Authz, actor: ActorDep) -> JSONResponse:
    """ACTIVE -> SUSPENDED."""
    return _lifecycle(LifecycleAction.SUSPEND, tenantId, ctr, authz, actor, body.reason)


@_lifecycle_route("resume", "Resume a suspended tenant")
def resume(tenantId: TenantId, ctr: Ctr, authz: Authz, actor: ActorDep) -> JSONResponse:
    """SUSPENDED -> ACTIVE."""
    return _lifecycle(LifecycleAction.RESUME, tenantId, ctr, authz, actor)


@_lifecycle_route("park", "Park a tenant")
def park(tenantId: TenantId, body: ReasonBody, ctr: Ctr, authz: Authz, actor: ActorDep) -> JSONResponse:
    """ACTIVE -> PARKED: instances stop, all data is kept."""
    return _lifecycle(LifecycleAction.PARK, tenantId, ctr, authz, actor, body.reason)


@_lifecycle_route("unpark", "Unpark a tenant")
def unpark(tenantId: TenantId, ctr: Ctr, authz: Authz, actor: ActorDep) -> JSONResponse:
    """PARKED -> ACTIVE: instances start again."""
    return _lifecycle(LifecycleAction.UNPARK, tenantId, ctr, authz, actor)


@_lifecycle_route("retry", "Retry a failed onboarding")
def retry(tenantId: TenantId, ctr: Ctr, authz: Authz, actor: ActorDep) -> JSONResponse:
    """FAILED -> PENDING, and onboarding runs again."""
    return _lifecycle(LifecycleAction.RETRY, tenantId, ctr, authz, actor)


@router.get("/tenants/{tenantId}/audit", response_model=AuditPage, summary="List the tenant's audit trail")
def list_audit(tenantId: TenantId, request: Request, ctr: Ctr, authz: Authz, pages: Pages) -> JSONResponse:
    """Every state change in the tenant, newest first: who, what, before and after, request id."""
    authz.require("audit:read", tenant_id=tenantId)
    service.get_tenant(store=ctr.store, tenant_id=tenantId)
    start = ctr.cursors.start_of(pages.start_at, request.url.path, {})
    page = ctr.store.query(
        keys.tenant_pk(tenantId), sk_prefix=keys.AUDIT_PREFIX, limit=pages.page_size, start_after=start, descending=True
    )
    return render_page(
        page, codec=ctr.cursors, path=request.url.path, filters={}, page_size=pages.page_size, render=audit_public
    )
