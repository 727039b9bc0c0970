"""Operation routes: read one operation, follow it as server-sent events, cancel it, list a tenant's operations."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Path, Query, Request, Response
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
from bbws.jobs.sse import STREAM_RESPONSE_DOC, operation_fetch, stream_response, wants_stream
from bbws.tenants.schemas import TENANT_ID_PATTERN

router = api_router("Operations")
OperationPage = page_of(OperationPublic)
OperationId = Annotated[str, Path(pattern=r"^op_[0-9a-z]{26}$", description="Operation id (`op_...`).")]


@router.get("/operations/{operationId}", response_model=OperationPublic, summary="Get an operation")
def get_one(operationId: OperationId, ctr: Ctr, authz: Authz) -> JSONResponse:
    """Status, progress, result (ids and links of what it made) or error of one piece of long work."""
    item = get_operation(ctr.store, operationId)
    if item is None or not authz.allowed("operations:read", tenant_id=item["tenantId"]):
        raise not_found("operation", operationId)
    return JSONResponse(operation_public(item))


@router.get(
    "/operations/{operationId}/events",
    response_model=OperationPublic,
    summary="Follow an operation (server-sent events)",
    responses={
        200: {
            "description": "The stream (or, without `Accept: text/event-stream`, the operation now)",
            "content": STREAM_RESPONSE_DOC,
        }
    },
)
def events(
    operationId: OperationId,
    request: Request,
    ctr: Ctr,
    authz: Authz,
    lastEventId: Annotated[
        str | None,
        Header(alias="Last-Event-ID", max_length=64, description="The last version seen (EventSource sends it)."),
    ] = None,
) -> Response:
    """With `Accept: text/event-stream`: an `operation` event (the Operation; `id` is its version) each time it
    changes, then an `end` event once it is COMPLETED, FAILED or CANCELLED, and the stream closes. A comment
    keeps the connection alive every 15 s; a stream lasts at most 10 minutes (reconnect to carry on).
    Other clients get the operation as it is now, like `GET /operations/{operationId}`."""
    item = get_operation(ctr.store, operationId)
    if item is None or not authz.allowed("operations:read", tenant_id=item["tenantId"]):
        raise not_found("operation", operationId)
    if not wants_stream(request):
        return JSONResponse(operation_public(item))
    return stream_response(operation_fetch(ctr.store, operationId, last_version=lastEventId))


@router.post(
    "/operations/{operationId}/cancel",
    response_model=OperationPublic,
    summary="Cancel an operation",
    responses={409: {"description": "OPERATION_NOT_CANCELLABLE: it has already started or finished"}},
)
def cancel(operationId: OperationId, ctr: Ctr, authz: Authz, actor: ActorDep) -> JSONResponse:
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
