"""FastAPI dependencies shared by every router: the request context (container, principal, authorizer, actor)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bbws.core.auth import Principal
from bbws.core.authorizer import Authorizer
from bbws.core.changes import Actor
from bbws.core.container import Container
from bbws.core.errors import Unauthorized
from bbws.core.http import request_id_of
from bbws.core.pagination import PageParams, page_params

bearer = HTTPBearer(auto_error=False, description="A JWT from the BBWS issuer or the Cognito user pool.")

# The dependencies below are `async` because they do no I/O: FastAPI runs a plain `def` dependency in the
# threadpool, and those round trips cost about a fifth of the server CPU of a simple GET.


async def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


Ctr = Annotated[Container, Depends(get_container)]


def client_address(request: Request) -> str:
    """The caller's address as the server sees it: the peer of the connection, or on AWS the `sourceIp` of
    API Gateway's request context (Mangum puts it there). Behind another proxy it is the proxy's."""
    return request.client.host if request.client else "unknown"


def resolve_principal(request: Request, container: Container) -> Principal:
    """Verify the bearer token once per request (idempotency and routes share the result). Every failure is
    counted against the client's address; past its budget the answer is 429 instead of 401."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    try:
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Send `Authorization: Bearer <token>`.")
        principal = container.verifier.verify(token.strip())
    except Unauthorized:
        container.limiter.charge_auth_failure(client_address(request))
        raise
    request.state.principal = principal
    return principal


@dataclass(frozen=True, slots=True)
class RequestContext:
    """What a request's routes share, made once per request: the container, the verified caller, its
    authorizer (tenant assignments are read once) and the request id."""

    container: Container
    principal: Principal
    authorizer: Authorizer
    request_id: str

    @property
    def actor(self) -> Actor:
        return Actor(sub=self.principal.sub, request_id=self.request_id)


def request_context(request: Request) -> RequestContext:
    """The request's context: authenticates on first use (see `resolve_principal`), then the same object."""
    state = request.scope.setdefault("state", {})
    made = state.get("context")
    if made is not None:
        return made
    container: Container = request.app.state.container
    principal = resolve_principal(request, container)
    made = state["context"] = RequestContext(
        container, principal, Authorizer(principal, container.load_assignments), request_id_of(request)
    )
    return made


async def current_principal(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None,
) -> Principal:
    return request_context(request).principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def get_authorizer(
    request: Request, _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None
) -> Authorizer:
    """The request's authorizer (one per request, so assignments are read once)."""
    return request_context(request).authorizer


Authz = Annotated[Authorizer, Depends(get_authorizer)]


async def get_actor(request: Request, principal: CurrentPrincipal) -> Actor:
    return request_context(request).actor


ActorDep = Annotated[Actor, Depends(get_actor)]
Pages = Annotated[PageParams, Depends(page_params)]

# The dependencies above that only read the request context: `ApiRoute` hands routes these values from the
# context it makes anyway, instead of having FastAPI solve each of them (and the bearer scheme) per request.
# They stay real dependencies for the OpenAPI document and for routes made outside `ApiRoute`.
FROM_CONTEXT: dict[Callable[..., Any], Callable[[RequestContext], Any]] = {
    get_container: lambda ctx: ctx.container,
    current_principal: lambda ctx: ctx.principal,
    get_authorizer: lambda ctx: ctx.authorizer,
    get_actor: lambda ctx: ctx.actor,
}
