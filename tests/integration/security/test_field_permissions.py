"""Every writable field of every request body, for every role, against the declared field-permission table.

Body models are found from the app's routes, so a field added to a body without an entry in FIELD_PERMISSIONS
(or without a sample value here) fails this test; the walk then sends each field alone on top of a valid body
as each platform and tenant role, and checks that the answer is 403 exactly when the table says so.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel

from bbws.core.authorizer import PLATFORM_GRANTS, TENANT_GRANTS, grants
from bbws.core.field_permissions import FIELD_PERMISSIONS
from bbws.core.ids import new_id
from tests.integration.security.test_isolation import REASON, VALID_BODIES, World, api_routes, fill, seed
from tests.support.api import ApiHarness, rid

ROLES = [("platform", r) for r in ("ADMIN", "OPERATOR", "VIEWER")] + [("tenant", r) for r in TENANT_GRANTS]
# A route outside a tenant that creates one: its body is walked too (tier is set there first).
EXTRA_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1.0/tenants"): {"organizationName": "Walked Org", "contactEmail": "walk@example.com"},
}
# Fields that replace another one of the base body (the model accepts one of the two).
REPLACES = {("RoleAssign", "email"): "userId", ("SitePluginInstall", "pluginId"): "slug",
            ("SitePluginUpdate", "pluginId"): "version"}


def samples(world: World) -> dict[str, dict[str, Any]]:
    """A valid value for every field of every body model (what the walk writes)."""
    division = world.ids["divisionId"]
    return {
        "TenantCreate": {"organizationName": "Walked Org", "contactEmail": "walk@example.com",
                         "tier": "PROFESSIONAL", "metadata": {"costCenter": "CC-1"}},
        "TenantUpdate": {"organizationName": "Walked Org", "contactEmail": "walk@example.com",
                         "tier": "PROFESSIONAL", "metadata": {"costCenter": "CC-1"}},
        "ReasonBody": REASON,
        "NodeCreate": {"name": "Walked node", "description": "Walked"},
        "NodeUpdate": {"name": "Walked node", "description": "Walked"},
        "RoleAssign": {"userId": "walker", "email": "walker@example.com", "role": "VIEWER", "nodeId": division},
        "InvitationCreate": {"email": "walker@example.com", "role": "VIEWER", "nodeId": division,
                             "expiresInDays": 3},
        "WebhookCreate": {"url": "https://93.184.215.14/walk", "eventTypes": ["bbws.site.created"],
                          "description": "Walked"},
        "WebhookUpdate": {"url": "https://93.184.215.14/walk", "eventTypes": ["bbws.site.created"],
                          "description": "Walked", "enabled": False},
        "InstanceCreate": {"environment": "prod", "desiredCount": 1, "wordpressVersion": "6.1.9",
                           "phpVersion": "8.2", "settings": {"debug": False}},
        "InstanceUpdate": {"wordpressVersion": "6.1.9", "phpVersion": "8.2", "desiredCount": 2,
                           "settings": {"debug": False}},
        "StatusAction": {"action": "stop"},
        "SizeBody": {"desiredCount": 2},
        "SiteCreate": {"siteName": "Walked", "subdomain": rid("w").replace("-", ""), "environment": "dev",
                       "templateId": "business", "plugins": [], "teamId": division,
                       "adminEmail": "walk@example.com", "tagline": "Walked"},
        "SiteUpdate": {"siteName": "Walked", "tagline": "Walked", "adminEmail": "walk@example.com"},
        "SiteStatusBody": {"action": "suspend"},
        "CloneBody": {"subdomain": rid("w").replace("-", ""), "siteName": "Walked", "environment": "dev"},
        "PromoteBody": {"target": "sit"},
        "RestoreBody": {"backupId": world.ids.get("backupId", new_id("bak"))},
        "ApplyTemplateBody": {"templateId": "business"},
        "SitePluginInstall": {"pluginId": new_id("plg"), "slug": "bbws-hello", "kind": "plugin",
                              "version": "1.0.0", "activate": True},
        "SitePluginStatus": {"active": False},
        "SitePluginConfig": {"options": {"bbws_walk": 1}},
        "SitePluginUpdate": {"version": "1.0.0", "pluginId": new_id("plg")},
    }


def body_model(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model of a body parameter (`X`, `X | None`)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        found = [body_model(a) for a in typing.get_args(annotation)]
        return next((m for m in found if m is not None), None)
    return None


def body_routes(api: ApiHarness) -> dict[tuple[str, str], type[BaseModel]]:
    """(method, path) -> request body model, for every route of the app that takes a JSON body."""
    found: dict[tuple[str, str], type[BaseModel]] = {}
    for path, route in api_routes(api):
        for param in route.dependant.body_params:
            model = body_model(param.field_info.annotation)
            if model is not None:
                found.update({(method, path): model for method in route.methods})
    return found


def test_every_body_field_is_in_the_table(api: ApiHarness) -> None:
    models = {m.__name__: m for m in body_routes(api).values()}
    assert len(models) >= 30, sorted(models)
    missing = {n: sorted(set(m.model_fields) - set(FIELD_PERMISSIONS.get(n, {}))) for n, m in models.items()}
    assert not {n: f for n, f in missing.items() if f}, f"fields without an entry in FIELD_PERMISSIONS: {missing}"
    stale = {n: sorted(set(t) - set(models[n].model_fields)) if n in models else "no such body"
             for n, t in FIELD_PERMISSIONS.items()}
    assert not {n: s for n, s in stale.items() if s}, f"entries for fields no body has: {stale}"


def may(kind: str, role: str, permission: str) -> bool:
    return grants((PLATFORM_GRANTS if kind == "platform" else TENANT_GRANTS)[role], permission)


def test_every_field_for_every_role_matches_the_table(api: ApiHarness) -> None:
    world = seed(api)
    values = samples(world)
    routes = body_routes(api)
    walked = {key: routes[key] for key in [*VALID_BODIES, *EXTRA_BODIES] if key in routes}
    unsampled = sorted({m.__name__ for m in walked.values()} - set(values))
    assert not unsampled, f"give these body models sample values: {unsampled}"
    wrong: list[str] = []
    fields_walked = 0
    for kind, role in ROLES:
        headers = api.platform(role) if kind == "platform" else api.member(world.b, role)
        for (method, template), model in walked.items():
            base = {**(VALID_BODIES.get((method, template)) or EXTRA_BODIES.get((method, template)) or {})}
            url = fill(template, world, world.b)
            route_ok = api.client.request(method, url, json=base, headers=headers).status_code != 403
            for name, value in values[model.__name__].items():
                body = {k: v for k, v in base.items() if k != REPLACES.get((model.__name__, name))}
                body[name] = value
                needed = FIELD_PERMISSIONS[model.__name__][name]
                expected = route_ok and (needed is None or may(kind, role, needed))
                r = api.client.request(method, url, json=body, headers=headers)
                assert r.status_code < 500, (method, template, name, r.text)
                if (r.status_code != 403) != expected:
                    wrong.append(f"{kind} {role} {method} {template} {name}: {r.status_code} {r.text[:160]}")
                fields_walked += 1
    assert not wrong, "\n".join(wrong)
    assert fields_walked >= 6 * 70


def test_the_walk_sees_the_fields_only_platform_roles_may_write() -> None:
    """Control: the table is not all ROUTE, and tier is the platform's (the walk above proves it is enforced)."""
    restricted = {(m, f): p for m, t in FIELD_PERMISSIONS.items() for f, p in t.items() if p}
    assert restricted[("TenantUpdate", "tier")] == restricted[("TenantCreate", "tier")] == "tenants:commercial"
    assert not any(may("tenant", role, "tenants:commercial") for role in TENANT_GRANTS)
    assert may("platform", "OPERATOR", "tenants:commercial") and not may("platform", "VIEWER", "tenants:commercial")
