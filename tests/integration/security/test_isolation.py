"""Tenant isolation over every route: another tenant's ids answer 404, a too-weak role on your own tenant 403.

Routes are enumerated from the app, so a new route under `/tenants/{tenantId}` is covered the day it lands;
a new write route must also get a valid body in `VALID_BODIES`, or this test fails and says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.routing import APIRoute

from bbws.core.ids import PREFIXES, new_id
from bbws.core.router import ApiRoute
from tests.support.api import ApiHarness, rid

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
PARAM = re.compile(r"{(\w+)}")
NO_BODY = None
REASON = {"reason": "Isolation test: a reason long enough"}

# A valid body for every write route under a tenant, keyed by (method, path template); NO_BODY where none is sent.
VALID_BODIES: dict[tuple[str, str], dict[str, Any] | None] = {
    ("PUT", "/v1.0/tenants/{tenantId}"): {"organizationName": "Renamed by a viewer"},
    ("DELETE", "/v1.0/tenants/{tenantId}"): NO_BODY,
    ("POST", "/v1.0/tenants/{tenantId}/lifecycle/suspend"): REASON,
    ("POST", "/v1.0/tenants/{tenantId}/lifecycle/resume"): NO_BODY,
    ("POST", "/v1.0/tenants/{tenantId}/lifecycle/park"): REASON,
    ("POST", "/v1.0/tenants/{tenantId}/lifecycle/unpark"): NO_BODY,
    ("POST", "/v1.0/tenants/{tenantId}/lifecycle/retry"): NO_BODY,
    # hierarchy
    ("POST", "/v1.0/tenants/{tenantId}/divisions"): {"name": "Viewer division"},
    ("PUT", "/v1.0/tenants/{tenantId}/divisions/{divisionId}"): {"name": "Viewer renamed"},
    ("DELETE", "/v1.0/tenants/{tenantId}/divisions/{divisionId}"): NO_BODY,
    ("POST", "/v1.0/tenants/{tenantId}/divisions/{divisionId}/groups"): {"name": "Viewer group"},
    ("PUT", "/v1.0/tenants/{tenantId}/divisions/{divisionId}/groups/{groupId}"): {"name": "Viewer renamed"},
    ("DELETE", "/v1.0/tenants/{tenantId}/divisions/{divisionId}/groups/{groupId}"): NO_BODY,
    ("POST", "/v1.0/tenants/{tenantId}/divisions/{divisionId}/groups/{groupId}/teams"): {"name": "Viewer team"},
    ("PUT", "/v1.0/tenants/{tenantId}/divisions/{divisionId}/groups/{groupId}/teams/{teamId}"): {"name": "Renamed"},
    ("DELETE", "/v1.0/tenants/{tenantId}/divisions/{divisionId}/groups/{groupId}/teams/{teamId}"): NO_BODY,
    # users
    ("POST", "/v1.0/tenants/{tenantId}/users"): {"userId": "someone-else", "role": "ADMIN"},
    ("DELETE", "/v1.0/tenants/{tenantId}/users/{userId}"): NO_BODY,
    # invitations
    ("POST", "/v1.0/tenants/{tenantId}/invitations"): {"email": "new.dev@example.com", "role": "ADMIN"},
    ("DELETE", "/v1.0/tenants/{tenantId}/invitations/{invitationId}"): NO_BODY,
    ("POST", "/v1.0/tenants/{tenantId}/invitations/{invitationId}/resend"): NO_BODY,
    # webhooks
    ("POST", "/v1.0/tenants/{tenantId}/webhooks"): {"url": "https://93.184.215.14/viewer", "eventTypes": ["*"]},
    ("PUT", "/v1.0/tenants/{tenantId}/webhooks/{webhookId}"): {"description": "Viewer edit"},
    ("DELETE", "/v1.0/tenants/{tenantId}/webhooks/{webhookId}"): NO_BODY,
    ("POST", "/v1.0/tenants/{tenantId}/webhooks/{webhookId}/rotate-secret"): NO_BODY,
    ("POST", "/v1.0/tenants/{tenantId}/webhooks/{webhookId}/test"): NO_BODY,
    # instances
    ("POST", "/v1.0/tenants/{tenantId}/instances"): {"environment": "sit"},
    ("PUT", "/v1.0/tenants/{tenantId}/instances/{instanceId}"): {"desiredCount": 3},
    ("DELETE", "/v1.0/tenants/{tenantId}/instances/{instanceId}"): NO_BODY,
    ("PUT", "/v1.0/tenants/{tenantId}/instances/{instanceId}/status"): {"action": "stop"},
    ("PUT", "/v1.0/tenants/{tenantId}/instances/{instanceId}/size"): {"desiredCount": 2},
    # sites
    ("POST", "/v1.0/tenants/{tenantId}/sites"): {"siteName": "Viewer", "subdomain": "viewer", "environment": "dev"},
    ("PUT", "/v1.0/tenants/{tenantId}/sites/{siteId}"): {"tagline": "Viewer edit"},
    ("DELETE", "/v1.0/tenants/{tenantId}/sites/{siteId}"): NO_BODY,
    ("PUT", "/v1.0/tenants/{tenantId}/sites/{siteId}/status"): {"action": "suspend"},
    ("POST", "/v1.0/tenants/{tenantId}/sites/{siteId}/clone"): {"subdomain": "viewercopy", "siteName": "Copy"},
    ("POST", "/v1.0/tenants/{tenantId}/sites/{siteId}/promote"): {"target": "sit"},
    ("POST", "/v1.0/tenants/{tenantId}/sites/{siteId}/promotions/{promotionId}/rollback"): NO_BODY,
    ("POST", "/v1.0/tenants/{tenantId}/sites/{siteId}/backup"): NO_BODY,
    ("POST", "/v1.0/tenants/{tenantId}/sites/{siteId}/health"): NO_BODY,
    ("POST", "/v1.0/tenants/{tenantId}/sites/{siteId}/restore"): {"backupId": "bak_" + "0" * 26},
    ("POST", "/v1.0/tenants/{tenantId}/sites/{siteId}/apply-template"): {"templateId": "business"},
    ("POST", "/v1.0/tenants/{tenantId}/sites/{siteId}/plugins"): {"slug": "bbws-hello"},
    ("PUT", "/v1.0/tenants/{tenantId}/sites/{siteId}/plugins/{slug}/status"): {"active": False},
    ("PUT", "/v1.0/tenants/{tenantId}/sites/{siteId}/plugins/{slug}/config"): {"options": {"bbws_x": 1}},
    ("PUT", "/v1.0/tenants/{tenantId}/sites/{siteId}/plugins/{slug}/update"): {},
    ("DELETE", "/v1.0/tenants/{tenantId}/sites/{siteId}/plugins/{slug}"): NO_BODY,
}

# How B gets real children, when the routes exist: (path template, body, id fields to keep from the answer).
SEED_PLAN: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
    ("/v1.0/tenants/{tenantId}/divisions", {"name": "B division"}, ("divisionId",)),
    ("/v1.0/tenants/{tenantId}/divisions/{divisionId}/groups", {"name": "B group"}, ("groupId",)),
    ("/v1.0/tenants/{tenantId}/divisions/{divisionId}/groups/{groupId}/teams", {"name": "B team"}, ("teamId",)),
    ("/v1.0/tenants/{tenantId}/users", {"userId": "b-member", "role": "OPERATOR"}, ("userId",)),
    ("/v1.0/tenants/{tenantId}/invitations", {"email": "b.invitee@example.com", "role": "VIEWER"}, ("invitationId",)),
    # a public address literal (no DNS); its filter matches nothing these tests emit, so nothing is sent to it
    ("/v1.0/tenants/{tenantId}/webhooks", {"url": "https://93.184.215.14/b", "eventTypes": ["bbws.site.created"]},
     ("webhookId",)),
    ("/v1.0/tenants/{tenantId}/instances", {"environment": "dev"}, ("instanceId",)),
    ("/v1.0/tenants/{tenantId}/instances", {"environment": "sit"}, ()),
    ("/v1.0/tenants/{tenantId}/sites", {"siteName": "B site", "subdomain": "bsite", "environment": "dev"},
     ("siteId",)),
    ("/v1.0/tenants/{tenantId}/sites/{siteId}/backup", {}, ("backupId",)),
    ("/v1.0/tenants/{tenantId}/sites/{siteId}/promote", {"target": "sit"}, ("promotionId",)),
]

# Path parameters that name something prefixed; anything else (a user id is a token `sub`) gets a random word.
ID_PREFIXES = {f"{kind}Id": prefix for kind, prefix in PREFIXES.items()} | {"nodeId": "div"}


@dataclass
class World:
    a: str
    b: str
    ids: dict[str, str] = field(default_factory=dict)
    b_operation: str = ""


def api_routes(api: ApiHarness) -> list[tuple[str, APIRoute]]:
    """(full path, route) for every APIRoute of the app, through included routers."""
    try:  # newer FastAPI keeps included routers as one entry of `app.routes`
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - older FastAPI flattens them
        return [(r.path, r) for r in api.app.routes if isinstance(r, APIRoute)]
    return [
        (str(c.path), c.original_route)
        for c in iter_route_contexts(api.app.routes)
        if isinstance(c.original_route, APIRoute)
    ]


def tenant_routes(api: ApiHarness) -> list[tuple[str, str]]:
    """Every (method, path template) of the app with `{tenantId}` in its path."""
    found = {(method, path) for path, route in api_routes(api) if "{tenantId}" in path for method in route.methods}
    return sorted(found, key=lambda mp: (mp[1], mp[0]))


def test_every_tenant_route_goes_through_the_route_class_that_hides_tenants(api: ApiHarness) -> None:
    plain = [path for path, route in api_routes(api) if "{tenantId}" in path and not isinstance(route, ApiRoute)]
    assert not plain, f"routes not made with api_router(), so nothing hides other tenants there: {plain}"


def fill(template: str, world: World, tenant_id: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "tenantId":
            return tenant_id
        if name in world.ids:
            return world.ids[name]
        return new_id(ID_PREFIXES[name]) if name in ID_PREFIXES else rid("fake")

    return PARAM.sub(value, template)


def seed(api: ApiHarness) -> World:
    """Tenants A and B; B gets children through whichever hierarchy/user/invitation routes exist."""
    world = World(a=api.create_tenant()["tenantId"], b=api.create_tenant()["tenantId"])
    world.ids["slug"] = "akismet"  # a plugin every new site has
    existing = {(m, p) for m, p in tenant_routes(api)}
    admin = api.admin()
    api.run_jobs()  # onboarding: B is ACTIVE before it gets children
    for template, body, wanted in SEED_PLAN:
        if ("POST", template) not in existing or any(n not in world.ids for n in PARAM.findall(template)[1:]):
            continue
        r = api.client.post(fill(template, world, world.b), json={**body}, headers=admin)
        assert r.status_code in (200, 201, 202), (template, r.status_code, r.text)
        answer = r.json()
        if r.status_code == 202:  # long work: the Operation names what it makes, or its result does
            api.run_jobs()
            answer = {**answer, **(api.client.get(r.headers["location"], headers=admin).json()["result"] or {})}
        for name in wanted:
            world.ids[name] = answer.get(name) or answer.get("resourceId") or answer["nodeId"]
    parked = api.client.post(f"/v1.0/tenants/{world.b}/lifecycle/park", json=REASON, headers=admin)
    assert parked.status_code == 202, parked.text
    world.b_operation = world.ids["operationId"] = parked.json()["operationId"]
    api.run_jobs()
    assert api.client.post(f"/v1.0/tenants/{world.b}/lifecycle/unpark", headers=admin).status_code == 202
    api.run_jobs()
    return world


def assert_not_found(r: Any, what: str) -> None:
    assert r.status_code == 404, f"{what}: expected 404, got {r.status_code} {r.text[:300]}"
    assert r.headers["content-type"].startswith("application/problem+json"), what
    assert r.json()["code"].endswith("NOT_FOUND"), f"{what}: {r.json()['code']}"


def audit_size(api: ApiHarness, tenant_id: str) -> int:
    page = api.client.get(f"/v1.0/tenants/{tenant_id}/audit", params={"pageSize": 100}, headers=api.admin()).json()
    return len(page["items"])


BODY_VARIANTS: list[dict[str, Any]] = [
    {},  # no body at all
    {"json": {}},
    {"json": {"unexpected": True, "organizationName": 12}},
    {"content": b"{not json", "headers": {"content-type": "application/json"}},
]


def call_everything(api: ApiHarness, world: World, headers: dict[str, str], label: str) -> int:
    covered = 0
    for method, template in tenant_routes(api):
        url = fill(template, world, world.b)
        for variant in BODY_VARIANTS if method in WRITE_METHODS else [{}]:
            extra_headers = {**headers, **variant.get("headers", {})}
            kwargs = {k: v for k, v in variant.items() if k != "headers"}
            r = api.client.request(method, url, headers=extra_headers, **kwargs)
            assert_not_found(r, f"{label} {method} {template} {kwargs}")
        covered += 1
    return covered


def test_the_filled_ids_are_real(api: ApiHarness) -> None:
    """Control: B's children exist, so the 404s below come from isolation, not from made-up ids."""
    world = seed(api)
    for method, template in tenant_routes(api):
        if method == "GET":
            r = api.client.get(fill(template, world, world.b), headers=api.admin())
            assert r.status_code == 200, f"platform admin GET {template}: {r.status_code} {r.text[:300]}"


def test_every_tenant_route_hides_another_tenant_from_its_admin(api: ApiHarness) -> None:
    world = seed(api)
    before = audit_size(api, world.b)
    a_admin = api.member(world.a, "ADMIN")
    covered = call_everything(api, world, a_admin, "A's admin")
    assert covered >= len(tenant_routes(api)) >= 10
    assert audit_size(api, world.b) == before, "a refused call changed tenant B"
    # their own tenant works with the same headers
    assert api.client.get(f"/v1.0/tenants/{world.a}", headers=a_admin).status_code == 200


def test_another_tenants_operation_is_404(api: ApiHarness) -> None:
    world = seed(api)
    url = f"/v1.0/operations/{world.b_operation}"
    assert api.client.get(url, headers=api.admin()).status_code == 200
    assert_not_found(api.client.get(url, headers=api.member(world.a, "ADMIN")), "A's admin reading B's operation")
    scoped = api.headers(api.token(rid("staff"), groups=["platform-admin"], scope=f"tenant:{world.a}"))
    assert_not_found(api.client.get(url, headers=scoped), "tenant:A platform admin reading B's operation")


def test_a_tenant_scoped_platform_admin_cannot_see_other_tenants(api: ApiHarness) -> None:
    world = seed(api)
    before = audit_size(api, world.b)
    scoped = api.headers(api.token(rid("staff"), groups=["platform-admin"], scope=f"tenant:{world.a}"))
    covered = call_everything(api, world, scoped, "tenant:A platform admin")
    assert covered >= len(tenant_routes(api))
    assert audit_size(api, world.b) == before
    assert api.client.get(f"/v1.0/tenants/{world.a}", headers=scoped).status_code == 200
    listed = api.client.get("/v1.0/tenants", headers=scoped).json()["items"]
    assert [t["tenantId"] for t in listed] == [world.a]


def test_another_tenants_admin_does_not_see_it_in_lists(api: ApiHarness) -> None:
    world = seed(api)
    a_admin = api.member(world.a, "ADMIN")
    listed = api.client.get("/v1.0/tenants", headers=a_admin).json()["items"]
    assert [t["tenantId"] for t in listed] == [world.a]
    if "userId" in world.ids:  # a member of B, looked up by A's admin
        r = api.client.get(f"/v1.0/users/{world.ids['userId']}/tenants", headers=a_admin)
        assert r.status_code in (403, 404), r.text
        assert world.b not in r.text


def test_every_write_route_refuses_a_viewer_of_the_tenant_with_403(api: ApiHarness) -> None:
    world = seed(api)
    writes = [(m, p) for m, p in tenant_routes(api) if m in WRITE_METHODS]
    missing = [f"{m} {p}" for m, p in writes if (m, p) not in VALID_BODIES]
    assert not missing, (
        "write routes under /tenants/{tenantId} with no valid body in VALID_BODIES "
        f"(add one so the 403 check covers them): {missing}"
    )
    stale = [f"{m} {p}" for m, p in VALID_BODIES if (m, p) not in writes]
    assert not stale, f"VALID_BODIES names routes the app does not have (renamed?): {stale}"
    before = audit_size(api, world.b)
    viewer = api.member(world.b, "VIEWER")
    covered = 0
    for method, template in writes:
        body = VALID_BODIES[(method, template)]
        url = fill(template, world, world.b)
        r = api.client.request(method, url, headers=viewer, **({} if body is None else {"json": body}))
        what = f"B's viewer {method} {template}"
        assert r.status_code == 403, f"{what}: expected 403, got {r.status_code} {r.text[:300]}"
        assert r.headers["content-type"].startswith("application/problem+json"), what
        assert r.json()["code"] == "FORBIDDEN", what
        covered += 1
    assert covered == len(writes) >= 7
    assert audit_size(api, world.b) == before + 1, "only the viewer's own assignment may have been audited"


@pytest.mark.parametrize("role", ["ADMIN", "OPERATOR", "VIEWER"])
def test_only_the_platform_creates_tenants(api: ApiHarness, role: str) -> None:
    tenant = api.create_tenant()
    body = {"organizationName": rid("Org"), "contactEmail": "ops@example.com"}
    r = api.client.post("/v1.0/tenants", json=body, headers=api.member(tenant["tenantId"], role))
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "FORBIDDEN"
    assert api.client.post("/v1.0/tenants", json=body, headers=api.platform("VIEWER")).status_code == 403
    assert api.client.post("/v1.0/tenants", json=body, headers=api.platform("OPERATOR")).status_code == 201
