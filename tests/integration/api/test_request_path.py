"""The per-request cost of a route: one request context, FastAPI solving only what the route itself declares,
and a threadpool round trip only for the (blocking) route body."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import fastapi.dependencies.utils
import fastapi.routing
import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from bbws.core import http
from bbws.core.auth import Principal
from bbws.core.authorizer import Authorizer
from bbws.core.changes import Actor
from bbws.core.container import Container
from bbws.core.deps import ActorDep, Authz, Ctr, CurrentPrincipal
from bbws.core.router import api_router
from tests.support.api import ApiHarness, rid


def _count(monkeypatch: pytest.MonkeyPatch, name: str, *modules: Any) -> list[int]:
    """Count the calls FastAPI makes to its own `name` (looked up in each module at call time)."""
    calls = [0]
    original: Callable[..., Any] = getattr(modules[0], name)

    async def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return await original(*args, **kwargs)

    for module in modules:
        monkeypatch.setattr(module, name, counted)
    return calls


def test_a_tenant_read_solves_one_set_of_dependencies(api: ApiHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = api.create_tenant()
    headers = api.admin()
    solved = _count(monkeypatch, "solve_dependencies", fastapi.routing, fastapi.dependencies.utils)

    response = api.client.get(f"/v1.0/tenants/{tenant['tenantId']}", headers=headers)

    assert response.status_code == 200, response.text
    # The route's own parameters only: container, authorizer and bearer scheme come from the request context.
    assert solved[0] == 1


def test_a_tenant_read_goes_to_the_threadpool_once(api: ApiHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = api.create_tenant()
    headers = api.admin()
    hops = _count(monkeypatch, "run_in_threadpool", fastapi.routing, fastapi.dependencies.utils)

    response = api.client.get(f"/v1.0/tenants/{tenant['tenantId']}", headers=headers)

    assert response.status_code == 200, response.text
    assert hops[0] == 1  # the route body, which reads the store


def test_the_public_invitation_route_goes_to_the_threadpool_once(
    api: ApiHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    hops = _count(monkeypatch, "run_in_threadpool", fastapi.routing, fastapi.dependencies.utils)

    response = api.client.get("/v1.0/invitations/" + "x" * 40)

    assert response.status_code == 404, response.text
    assert hops[0] == 1  # the route body; the rate limit does no I/O and runs on the event loop


def _context_app(api: ApiHarness) -> FastAPI:
    """A small app of ApiRoute routes that show what their context parameters received."""
    router = api_router("Test")

    def shown(request_id: str, ctr: Container, authz: Authorizer, actor: Actor, principal: Principal) -> dict[str, Any]:
        return {
            "container": ctr is api.container,
            "sameCaller": authz.principal is principal and actor.sub == principal.sub,
            "actorRequestId": actor.request_id == request_id,
        }

    @router.get("/probe/sync")
    def probe_sync(request: Request, ctr: Ctr, authz: Authz, actor: ActorDep, who: CurrentPrincipal) -> Any:
        return shown(request.headers["x-request-id"], ctr, authz, actor, who)

    @router.get("/probe/async")
    async def probe_async(ctr: Ctr, authz: Authz, actor: ActorDep, who: CurrentPrincipal) -> Any:
        return shown(actor.request_id, ctr, authz, actor, who)

    @router.get("/tenants/{tenantId}/probe")
    def probe_tenant(tenantId: str, authz: Authz) -> Any:
        authz.require("tenants:read", tenant_id=tenantId)
        return {"tenantId": tenantId}

    app = FastAPI()
    app.state.container = api.container
    http.install(app, max_body_bytes=1024)
    app.include_router(router)
    return app


@pytest.mark.parametrize("path", ["/v1.0/probe/sync", "/v1.0/probe/async"])
def test_context_parameters_come_from_one_request_context(api: ApiHarness, path: str) -> None:
    client = TestClient(_context_app(api), raise_server_exceptions=False)
    request_id = rid("req")

    response = client.get(path, headers={**api.admin(), "X-Request-ID": request_id})

    assert response.status_code == 200, response.text
    assert response.json() == {"container": True, "sameCaller": True, "actorRequestId": True}
    assert response.headers["x-request-id"] == request_id
    for name in ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"):
        assert len(response.headers.get_list(name)) == 1, name


@pytest.mark.parametrize("path", ["/v1.0/probe/sync", "/v1.0/probe/async"])
def test_context_parameters_still_need_a_valid_token(api: ApiHarness, path: str) -> None:
    client = TestClient(_context_app(api), raise_server_exceptions=False)

    missing = client.get(path)
    forged = client.get(path, headers={"Authorization": "Bearer not-a-jwt"})

    assert missing.status_code == 401 and forged.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"


def test_a_tenant_route_hides_other_tenants_with_context_parameters(api: ApiHarness) -> None:
    client = TestClient(_context_app(api), raise_server_exceptions=False)
    mine, other = api.create_tenant(), api.create_tenant()
    member = api.member(mine["tenantId"], "VIEWER")

    seen = client.get(f"/v1.0/tenants/{mine['tenantId']}/probe", headers=member)
    hidden = client.get(f"/v1.0/tenants/{other['tenantId']}/probe", headers=member)

    assert seen.status_code == 200, seen.text
    assert hidden.status_code == 404 and hidden.json()["code"] == "TENANT_NOT_FOUND"
