"""The one way routers are made: idempotent route class, rate limits, documented problem responses."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from bbws.core.authorizer import Authorizer
from bbws.core.container import Container
from bbws.core.deps import resolve_principal
from bbws.core.errors import ApiError, PreconditionFailed, not_found
from bbws.core.idempotency import HEADER as IDEMPOTENCY_HEADER
from bbws.core.idempotency import run_once
from bbws.core.links import API_PREFIX
from bbws.core.schemas import PROBLEM_RESPONSES


class ApiRoute(APIRoute):
    """Every API route: authenticate, charge the rate limits (token and tenant), hide tenants the caller
    cannot see (404), then run the handler, once per `Idempotency-Key` for POSTs. `RateLimit-*` headers go
    on every answer."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            container: Container = request.app.state.container
            principal = resolve_principal(request, container)
            tenant_id = request.path_params.get("tenantId")
            headers = container.limiter.charge(principal.token_id, tenant_id)
            # Another tenant's resources are invisible before anything else is read, the body included.
            authz = request.state.authorizer = Authorizer(principal, container.load_assignments)
            if tenant_id is not None and not authz.can_see_tenant(tenant_id):
                raise not_found("tenant", tenant_id)
            key = request.headers.get(IDEMPOTENCY_HEADER)
            try:
                if request.method == "POST" and key is not None:
                    response = await run_once(request, key, original)
                else:
                    response = await original(request)
            except ApiError as exc:  # errors are charged too, and say so
                exc.headers = {**headers, **exc.headers}
                raise
            response.headers.update(headers)
            return response

        return handler


def api_router(*tags: str) -> APIRouter:
    return APIRouter(prefix=API_PREFIX, tags=list(tags), route_class=ApiRoute, responses=PROBLEM_RESPONSES)


def etag(item: dict[str, Any]) -> str:
    return f'"{item.get("version", 0)}"'


def check_if_match(request: Request, item: dict[str, Any]) -> None:
    """`If-Match` is optional; when sent it must name the current version (or be `*`)."""
    header = request.headers.get("if-match")
    if header is None:
        return
    wanted = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if "*" not in wanted and etag(item) not in wanted:
        raise PreconditionFailed(
            f"If-Match {header} does not match the current version {etag(item)}; read it again and retry.",
            currentETag=etag(item),
        )


def not_modified(request: Request, item: dict[str, Any]) -> Response | None:
    """A 304 when `If-None-Match` names the current version."""
    header = request.headers.get("if-none-match")
    if header and etag(item) in {t.strip().removeprefix("W/") for t in header.split(",")}:
        return Response(status_code=304, headers={"ETag": etag(item)})
    return None
