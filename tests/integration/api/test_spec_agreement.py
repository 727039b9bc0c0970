"""The spec and the server agree on the rules schemathesis found apart: a literal route owns its path for every
method, bodies say in the spec what their validators enforce, and patterns match what the server keeps."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.contract.conftest import COMBINED, load
from tests.support.api import ApiHarness

SPEC = load(COMBINED)
SCHEMAS = SPEC["components"]["schemas"]


def test_a_literal_route_owns_its_path_for_every_method(api: ApiHarness) -> None:
    for method in ("OPTIONS", "GET", "PUT", "DELETE"):
        answer = api.client.request(method, "/v1.0/admin/dlq/redrive", headers=api.admin())
        assert answer.status_code == 405, (method, answer.text)
        assert answer.headers["allow"] == "POST"
        assert answer.json()["code"] == "METHOD_NOT_ALLOWED"
    other = api.client.options("/v1.0/admin/dlq/msg_00000000000000000000000000", headers=api.admin())
    assert other.status_code == 405 and other.headers["allow"] == "GET"
    assert api.client.get("/v1.0/admin/dlq/not-an-id", headers=api.admin()).status_code == 400


def test_exactly_one_of_user_id_and_email_is_said_and_enforced(api: ApiHarness) -> None:
    assert SCHEMAS["RoleAssign"]["oneOf"] == [{"required": ["userId"]}, {"required": ["email"]}]
    tenant = api.create_tenant()["tenantId"]
    for body in ({"role": "VIEWER"}, {"role": "VIEWER", "userId": "u-1", "email": "a@acme.example"},
                 {"role": "VIEWER", "userId": None, "email": "a@acme.example"}):
        answer = api.client.post(f"/v1.0/tenants/{tenant}/users", json=body, headers=api.admin())
        assert answer.status_code == 400, (body, answer.text)


@pytest.mark.parametrize(
    ("schema", "body"),
    [
        ("SitePluginInstall", {"slug": "bbws-hello", "pluginId": None}),
        ("SitePluginInstall", {"pluginId": "plg_00000000000000000000000000", "version": "1.0.0"}),
        ("SitePluginUpdate", {"version": "1.0.0", "pluginId": "plg_00000000000000000000000000"}),
    ],
)
def test_plugin_references_are_said_in_the_spec(schema: str, body: dict[str, Any]) -> None:
    from jsonschema import Draft4Validator

    document = {**SCHEMAS[schema], "components": {"schemas": SCHEMAS}}
    assert not Draft4Validator(_json_schema(document)).is_valid(body), (schema, body)


def test_updates_need_a_field_and_take_no_null_for_what_cannot_be_cleared(api: ApiHarness) -> None:
    for name in ("TenantUpdate", "NodeUpdate", "SiteUpdate", "TemplateUpdate", "InstanceUpdate", "WebhookUpdate"):
        assert SCHEMAS[name]["minProperties"] == 1, name
    assert "nullable" not in SCHEMAS["TenantUpdate"]["properties"]["organizationName"]
    tenant = api.create_tenant()["tenantId"]
    answer = api.client.put(f"/v1.0/tenants/{tenant}", json={"organizationName": None}, headers=api.admin())
    assert answer.status_code == 400, answer.text
    unchanged = api.client.get(f"/v1.0/tenants/{tenant}", headers=api.admin()).json()
    assert unchanged["organizationName"]


def _pattern(schema: str, field: str) -> str:
    prop = SCHEMAS[schema]["properties"][field]
    return str(prop.get("pattern") or SCHEMAS[prop["allOf"][0]["$ref"].rpartition("/")[2]]["pattern"])


@pytest.mark.parametrize(
    ("field", "value"),
    [("organizationName", " \u3000 "), ("organizationName", " A "), ("organizationName", "Acme"),
     ("contactEmail", "ops@acme.test"), ("contactEmail", "ops@mail.localhost"), ("contactEmail", "ops@acme.example")],
)
def test_a_value_the_spec_allows_is_one_the_server_takes(api: ApiHarness, field: str, value: str) -> None:
    allowed = re.search(_pattern("TenantCreate", field), value) is not None
    body = {"organizationName": "Acme Org", "contactEmail": "ops@acme.example", field: value}
    answer = api.client.post("/v1.0/tenants", json=body, headers=api.admin())
    assert (answer.status_code == 201) == allowed, (value, answer.text)


def test_reads_that_ask_wordpress_say_they_can_conflict() -> None:
    base = "/v1.0/tenants/{tenantId}/sites/{siteId}"
    for path in (f"{base}/plugins", f"{base}/plugins/{{slug}}", f"{base}/drift"):
        responses = SPEC["paths"][path]["get"]["responses"]
        assert {"409", "502"} <= set(responses), path
        assert "INSTANCE_NOT_FOUND" in responses["409"]["description"]


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0 refs point at #/components/schemas; the validator resolves them in the same document."""
    if isinstance(node, dict):
        return {k: _json_schema(v) for k, v in node.items() if k not in ("example", "nullable")}
    if isinstance(node, list):
        return [_json_schema(v) for v in node]
    return node
