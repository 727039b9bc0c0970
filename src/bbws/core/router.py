"""The one way routers are made: idempotent route class, rate limits, documented problem responses."""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any

import fastapi.routing
from fastapi import APIRouter, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from bbws.core.deps import FROM_CONTEXT, request_context
from bbws.core.errors import ApiError, PreconditionFailed, not_found
from bbws.core.idempotency import HEADER as IDEMPOTENCY_HEADER
from bbws.core.idempotency import run_once
from bbws.core.links import API_PREFIX
from bbws.core.schemas import PROBLEM_RESPONSES


class ApiRoute(APIRoute):
    """Every API route: authenticate, charge the rate limits (token and tenant), hide tenants the caller
    cannot see (404), then run the handler, once per `Idempotency-Key` for POSTs. `RateLimit-*` headers go
    on every answer. The route's context parameters (`Ctr`, `Authz`, `CurrentPrincipal`, `ActorDep`) are
    filled from the one `RequestContext` made here, not solved by FastAPI one by one."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        route = _served_route(self)
        declared = route.dependant
        route.dependant = _without_context_dependencies(declared)  # only for the handler; OpenAPI keeps all
        try:
            original = super().get_route_handler()
        finally:
            route.dependant = declared

        async def handler(request: Request) -> Response:
            context = request_context(request)
            tenant_id = request.path_params.get("tenantId")
            headers = context.container.limiter.charge(context.principal.token_id, tenant_id)
            # Another tenant's resources are invisible before anything else is read, the body included.
            if tenant_id is not None and not context.authorizer.can_see_tenant(tenant_id):
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
            # Appended as they are: no route sets these itself, so the replacing `headers.update` is not needed.
            response.raw_headers.extend((name.lower().encode(), value.encode()) for name, value in headers.items())
            return response

        return handler


def _served_route(route: APIRoute) -> Any:
    """The route whose dependant FastAPI builds the handler from: the route itself, or the copy that
    `include_router` makes of it (FastAPI names that copy in a context variable while it builds). Should a
    FastAPI release drop that variable, the copy keeps its full dependant: slower, never wrong (and
    tests/integration/api/test_request_path.py says so)."""
    included = getattr(fastapi.routing, "_effective_route_context_var", None)
    current = included.get() if included is not None else None
    return current if current is not None and getattr(current, "original_route", None) is route else route


def _without_context_dependencies(dependant: Dependant) -> Dependant:
    """The dependant minus its top-level request-context dependencies, with an endpoint that receives them
    from the request's `RequestContext`. Streaming (generator) endpoints keep FastAPI's own solving."""
    taken = tuple((d.name, FROM_CONTEXT[d.call]) for d in dependant.dependencies if d.call in FROM_CONTEXT and d.name)
    endpoint = dependant.call
    if not taken or endpoint is None or inspect.isgeneratorfunction(endpoint) or inspect.isasyncgenfunction(endpoint):
        return dependant
    request_name = dependant.request_param_name or _REQUEST
    keep_request = dependant.request_param_name is not None

    def fill(values: dict[str, Any]) -> None:
        request = values[request_name] if keep_request else values.pop(request_name)
        context = request_context(request)
        for name, read in taken:
            values[name] = read(context)

    if inspect.iscoroutinefunction(endpoint):

        @functools.wraps(endpoint)
        async def call_async(**values: Any) -> Any:
            fill(values)
            return await endpoint(**values)

        call: Callable[..., Any] = call_async
    else:

        @functools.wraps(endpoint)
        def call_sync(**values: Any) -> Any:
            fill(values)
            return endpoint(**values)

        call = call_sync
    names = {name for name, _ in taken}
    return dataclasses.replace(
        dependant,
        dependencies=[d for d in dependant.dependencies if d.name not in names],
        call=call,
        request_param_name=request_name,
    )


_REQUEST = "_bbws_request"  # the name the request travels under to an endpoint that does not declare it


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
