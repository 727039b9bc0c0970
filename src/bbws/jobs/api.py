"""Operation routes: read one operation, follow it as server-sent events, cancel it, list a tenant's operations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from bbws.core.authorizer import Authorizer
from bbws.core.changes import Changes
from bbws.core.container import Container
from bbws.core.deps import ActorDep, Authz, Ctr, Pages
from bbws.core.errors import not_found
from bbws.core.ids import TENANT_ID_PATTERN
from bbws.core.links import href
from bbws.core.pagination import render_page
from bbws.core.router import api_router
from bbws.core.schemas import page_of
from bbws.jobs.operations import (
    OperationStatus,
    cancel_operation,
    get_operation,
    list_operations,
    operation_node,
)
from bbws.jobs.schemas import OperationPublic
from bbws.jobs.sse import STREAM_LIMIT_DOC, STREAM_RESPONSE_DOC, operation_fetch, stream_response, wants_stream
from bbws.jobs.views import operation_public

router = api_router("Operations")
OperationPage = page_of(OperationPublic)
OperationId = Annotated[str, Path(pattern=r"^op_[0-9a-z]{26}$", description="Operation id (`op_...`).")]


def allowed_on(ctr: Container, authz: Authorizer, item: dict[str, Any], permission: str = "operations:read") -> bool:
    """Roles apply to an operation where they apply to its resource (a team's site: the team's roles too)."""
    node = operation_node(ctr.store, item, ctr.hooks.resource_nodes)
    return authz.allowed(permission, tenant_id=item["tenantId"], node_path=node)


def readable(ctr: Container, authz: Authorizer, operation_id: str) -> dict[str, Any]:
    """The operation, or 404 OPERATION_NOT_FOUND when it does not exist or its resource is hidden from the caller."""
    item = get_operation(ctr.store, operation_id)
    if item is None or not allowed_on(ctr, authz, item):
        raise not_found("operation", operation_id)
    return item


@router.get("/operations/{operationId}", response_model=OperationPublic, summary="Get an operation")
def get_one(operationId: OperationId, ctr: Ctr, authz: Authz) -> JSONResponse:
    """Status, progress, result (ids and links of what it made) or error of one piece of long work."""
    item = readable(ctr, authz, operationId)
    return JSONResponse(operation_public(item))


@router.get(
    "/operations/{operationId}/events",
    response_model=OperationPublic,
    summary="Follow an operation (server-sent events)",
    responses={
        200: {
            "description": "The stream (or, without `Accept: text/event-stream`, the operation now)",
            "content": STREAM_RESPONSE_DOC,
        },
        429: STREAM_LIMIT_DOC,
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
    keeps the connection alive every 15 s; a stream lasts at most 10 minutes, and ends when the token expires
    (reconnect to carry on). By default a token may hold 10 streams open at once and a tenant 50; past that,
    429 `TOO_MANY_STREAMS`. Other clients get the operation as it is now, like `GET /operations/{operationId}`."""
    item = readable(ctr, authz, operationId)
    if not wants_stream(request):
        return JSONResponse(operation_public(item))
    return stream_response(
        operation_fetch(ctr.store, operationId, last_version=lastEventId),
        slots=ctr.streams,
        principal=authz.principal,
        tenant_id=item["tenantId"],
    )


@router.post(
    "/operations/{operationId}/cancel",
    response_model=OperationPublic,
    summary="Cancel an operation",
    responses={409: {"description": "OPERATION_NOT_CANCELLABLE: it has already started or finished"}},
)
def cancel(operationId: OperationId, ctr: Ctr, authz: Authz, actor: ActorDep) -> JSONResponse:
    """Cancel work that has not started yet; what it held (e.g. the tenant) is released."""
    item = readable(ctr, authz, operationId)
    node = operation_node(ctr.store, item, ctr.hooks.resource_nodes)
    authz.require("operations:cancel", tenant_id=item["tenantId"], node_path=node)
    changes = Changes(actor=actor, now=ctr.clock.now())
    cancelled = cancel_operation(store=ctr.store, changes=changes, operation=item, hooks=ctr.hooks.release)
    return JSONResponse(operation_public(cancelled))


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
    """Newest first; filter by `status` and `operationType`. A role held on a division, group or team lists the
    operations of what it can see there (its sites); a page may then hold fewer than `pageSize` items."""
    whole_tenant = authz.allowed("operations:read", tenant_id=tenantId)
    if not whole_tenant and not (authz.can_see_tenant(tenantId) and authz.assignments(tenantId)):
        authz.require("operations:read", tenant_id=tenantId)  # 404 for a hidden tenant, else 403
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
        items=page.items if whole_tenant else [i for i in page.items if allowed_on(ctr, authz, i)],
    )


def accepted(operation: dict[str, Any], *, wake: Callable[[], None]) -> JSONResponse:
    """The answer to every call that starts long work: 202, the Operation, and `Location` to poll."""
    wake()
    return JSONResponse(
        operation_public(operation), status_code=202, headers={"Location": href("operations", operation["operationId"])}
    )
