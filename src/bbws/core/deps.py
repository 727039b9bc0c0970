"""FastAPI dependencies shared by every router: container, principal, authorizer, actor, rate limits."""

from __future__ import annotations

from typing import Annotated

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


async def current_principal(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None,
) -> Principal:
    return resolve_principal(request, request.app.state.container)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def get_authorizer(
    request: Request, _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None
) -> Authorizer:
    """The request's authorizer (made by the route class, so assignments are read once per request)."""
    made = getattr(request.state, "authorizer", None)
    if isinstance(made, Authorizer):
        return made
    container = request.app.state.container
    return Authorizer(resolve_principal(request, container), container.load_assignments)


Authz = Annotated[Authorizer, Depends(get_authorizer)]


async def get_actor(request: Request, principal: CurrentPrincipal) -> Actor:
    return Actor(sub=principal.sub, request_id=request_id_of(request))


ActorDep = Annotated[Actor, Depends(get_actor)]
Pages = Annotated[PageParams, Depends(page_params)]
