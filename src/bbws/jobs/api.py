"""Operation routes: read one operation, list a tenant's operations."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request
from fastapi.responses import JSONResponse

from bbws.core.changes import Changes
from bbws.core.deps import ActorDep, Authz, Ctr, Pages
from bbws.core.errors import not_found
from bbws.core.pagination import render_page
from bbws.core.router import api_router
from bbws.core.schemas import page_of
from bbws.jobs.operations import (
    OperationStatus,
    cancel_operation,
    get_operation,
    list_operations,
    operation_public,
)
from bbws.jobs.schemas import OperationPublic
from bbws.tenants.schemas import TENANT_ID_PATTERN

router = api_router("Operations")
OperationPage = page_of(OperationPublic)


@router.get("/operations/{operationId}", response_model=OperationPublic, summary="Get an operation")
def get_one(operationId: Annotated[str, Path(pattern=r"^op_[0-9a-z]{26}$")], ctr: Ctr, authz: Authz) -> JSONResponse:
    """Status, progress, result (ids and links of what it made) or error of one piece of long work."""
    item = get_operation(ctr.store, operationId)
    if item is None or not authz.allowed("operations:read", tenant_id=item["tenantId"]):
        raise not_found("operation", operationId)
    return JSONResponse(operation_public(item))


@router.post(
    "/operations/{operationId}/cancel",
    response_model=OperationPublic,
    summary="Cancel an operation",
    responses={409: {"description": "OPERATION_NOT_CANCELLABLE: it has already started or finished"}},
)
def cancel(
    operationId: Annotated[str, Path(pattern=r"^op_[0-9a-z]{26}$")], ctr: Ctr, authz: Authz, actor: ActorDep
) -> JSONResponse:
    """Cancel work that has not started yet; what it held (e.g. the tenant) is released."""
    item = get_operation(ctr.store, operationId)
    if item is None or not authz.allowed("operations:read", tenant_id=item["tenantId"]):
        raise not_found("operation", operationId)
    authz.require("operations:cancel", tenant_id=item["tenantId"])
    changes = Changes(actor=actor, now=ctr.clock.now())
    return JSONResponse(operation_public(cancel_operation(store=ctr.store, changes=changes, operation=item)))


@router.get("/tenants/{tenantId}/operations", response_model=OperationPage, summary="List a tenant's operations")
def list_for_tenant(
    tenantId: Annotated[str, Path(pattern=TENANT_ID_PATTERN)],
    request: Request,
    ctr: Ctr,
    authz: Authz,
    pages: Pages,
    status: Annotated[OperationStatus | None, Query()] = None,
    operationType: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Z_]+$")] = None,
) -> JSONResponse:
    """Newest first; filter by `status` and `operationType`."""
    authz.require("operations:read", tenant_id=tenantId)
    filters = {
        k: v for k, v in {"status": status.value if status else None, "operationType": operationType}.items() if v
    }
    start = ctr.cursors.start_of(pages.start_at, request.url.path, filters)
    page = list_operations(ctr.store, tenant_id=tenantId, limit=pages.page_size, start_after=start, filters=filters)
    return render_page(
        page,
        codec=ctr.cursors,
        path=request.url.path,
        filters=filters,
        page_size=pages.page_size,
        render=operation_public,
    )
