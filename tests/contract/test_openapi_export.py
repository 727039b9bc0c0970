"""The export itself: 3.1 -> 3.0.3 rules, the split by tag, the conventions, and the `bbws openapi` command."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from openapi_spec_validator import validate
from pydantic import BaseModel
from typer.testing import CliRunner

import bbws.openapi
from bbws.cli.main import app as cli
from bbws.openapi import AREAS, COMBINED, export_specs, exported_files
from bbws.openapi.downgrade import downgrade

OPENAPI_31: dict[str, Any] = {
    "openapi": "3.1.0",
    "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/v1.0/things/{thingId}": {
            "get": {
                "tags": ["Tenants"],
                "parameters": [
                    {"name": "thingId", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "kind", "in": "query", "schema": {"anyOf": [{"$ref": "#/components/schemas/Kind"},
                                                                          {"type": "null"}]}},
                ],
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Thing"}}}}},
            }
        }
    },
    "webhooks": {"thingChanged": {"post": {"requestBody": {"content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Thing"}}}}, "responses": {"200": {"description": "ok"}}}}},
    "components": {
        "schemas": {
            "Kind": {"type": "string", "enum": ["A", "B"], "title": "Kind"},
            "Thing": {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "title": "Thing",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "title": "Name", "examples": ["Acme"]},
                    "note": {"anyOf": [{"type": "string", "maxLength": 9}, {"type": "null"}]},
                    "kind": {"anyOf": [{"$ref": "#/components/schemas/Kind"}, {"type": "null"}]},
                    "tier": {"$ref": "#/components/schemas/Kind", "default": "A"},
                    "either": {"type": ["string", "integer"]},
                    "maybe": {"type": ["string", "null"]},
                    "fixed": {"const": "ONLY", "type": "string"},
                    "score": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 10},
                    "blob": {"type": "string", "contentMediaType": "application/octet-stream"},
                    "packed": {"type": "string", "contentEncoding": "base64"},
                    "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]},
                    "labels": {"type": "object", "propertyNames": {"maxLength": 8},
                               "patternProperties": {"^[a-z]+$": {"type": "string"}}},
                    "type": {"type": "string", "description": "a property named like a keyword"},
                    "flag": {"type": "string", "enum": ["true", "false"]},
                },
            },
        }
    },
}


def test_downgrade_rewrites_what_3_0_cannot_say() -> None:
    source = copy.deepcopy(OPENAPI_31)
    spec = downgrade(source)
    assert source == OPENAPI_31, "the input is not changed"
    assert spec["openapi"] == "3.0.3" and "jsonSchemaDialect" not in spec and "webhooks" not in spec
    assert "thingChanged" in spec["x-webhooks"]
    thing = spec["components"]["schemas"]["Thing"]
    props = thing["properties"]
    assert "$schema" not in thing and "title" not in thing and "title" not in props["name"]
    assert props["name"]["example"] == "Acme" and "examples" not in props["name"]
    assert props["note"] == {"type": "string", "maxLength": 9, "nullable": True}
    assert props["kind"] == {"allOf": [{"$ref": "#/components/schemas/Kind"}], "nullable": True, "type": "string"}
    assert props["tier"] == {"allOf": [{"$ref": "#/components/schemas/Kind"}], "default": "A"}
    assert props["either"] == {"oneOf": [{"type": "string"}, {"type": "integer"}]}
    assert props["maybe"] == {"type": "string", "nullable": True}
    assert props["fixed"] == {"enum": ["ONLY"], "type": "string"}
    assert props["score"] == {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 10,
                              "exclusiveMaximum": True}
    assert props["blob"] == {"type": "string", "format": "binary"}
    assert props["packed"] == {"type": "string", "format": "byte"}
    assert props["pair"]["minItems"] == props["pair"]["maxItems"] == 2 and "prefixItems" not in props["pair"]
    assert props["labels"]["additionalProperties"] == {"type": "string"}
    assert props["labels"]["x-propertyNames"] == {"maxLength": 8, "pattern": "^[a-z]+$"}
    assert "patternProperties" not in props["labels"] and "propertyNames" not in props["labels"]
    assert props["type"] == {"type": "string", "description": "a property named like a keyword"}
    assert props["flag"]["enum"] == ["true", "false"], "strings stay strings"
    kind_param = spec["paths"]["/v1.0/things/{thingId}"]["get"]["parameters"][1]["schema"]
    assert "nullable" not in kind_param, "an absent query parameter says 'no value'"
    validate(spec)


def test_what_3_0_cannot_say_at_all_stops_the_export() -> None:
    spec = copy.deepcopy(OPENAPI_31)
    spec["components"]["schemas"]["Kind"]["dependentRequired"] = {"a": ["b"]}
    with pytest.raises(ValueError, match=r"components\.schemas\.Kind: dependentRequired"):
        downgrade(spec)


def test_a_route_without_an_api_area_stops_the_export() -> None:
    app = FastAPI()

    @app.get("/v1.0/mystery", tags=["Mystery"])
    def mystery() -> dict[str, str]:
        return {}

    with pytest.raises(ValueError, match=r"GET /v1.0/mystery: tags \['Mystery'\].*AREAS"):
        export_specs(app)


class TenantParked(BaseModel):
    tenantId: str


def test_webhooks_go_to_the_combined_file_only() -> None:
    app = FastAPI()

    @app.webhooks.post("tenant-parked")
    def tenant_parked(body: TenantParked) -> None: ...

    @app.get("/v1.0/ping", tags=["Tenants"])
    def ping() -> dict[str, str]:
        return {}

    documents = export_specs(app)
    assert set(documents) == {COMBINED, "tenant-api.yaml"}
    assert "tenant-parked" in documents[COMBINED]["x-webhooks"]
    assert "TenantParked" in documents[COMBINED]["components"]["schemas"]
    assert "x-webhooks" not in documents["tenant-api.yaml"]
    assert "schemas" not in documents["tenant-api.yaml"]["components"]
    assert documents["tenant-api.yaml"]["paths"]["/v1.0/ping"]["get"]["security"] == [], "no token asked"


def test_every_area_has_its_own_file_name() -> None:
    names = [area.file for area in AREAS.values()]
    assert len(set(names)) == len(names) and COMBINED not in names
    assert all(name.endswith("-api.yaml") for name in names)


def test_export_is_the_same_every_time(exported: dict[str, str]) -> None:
    assert exported_files() == exported


def documents(exported: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {name: yaml.safe_load(text) for name, text in exported.items()}


def refs_in(node: Any) -> set[str]:
    if isinstance(node, dict):
        own = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return own.union(*(refs_in(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(refs_in(v) for v in node))
    return set()


def test_each_file_holds_exactly_the_components_it_uses(exported: dict[str, str]) -> None:
    for name, document in documents(exported).items():
        used = {ref.removeprefix("#/components/") for ref in refs_in(document)}
        held = {f"{section}/{key}" for section, entries in document["components"].items()
                if section != "securitySchemes" for key in entries}
        assert held == used, f"{name}: unused {sorted(held - used)}, missing {sorted(used - held)}"


def test_the_conventions_are_in_every_file(exported: dict[str, str]) -> None:
    for name, document in documents(exported).items():
        assert document["openapi"] == "3.0.3"
        assert [s["url"] for s in document["servers"]] == [
            "https://api.dev.bbws.io", "https://api.sit.bbws.io", "https://api.bbws.io", "http://127.0.0.1:8080"
        ]
        assert document["security"] == [{"bearerAuth": []}]
        assert document["components"]["securitySchemes"] == {
            "bearerAuth": {**bbws.openapi.conventions.BEARER}
        }
        assert name == COMBINED or document["info"]["title"] in {a.title for a in AREAS.values()}
        assert "HTTPValidationError" not in document["components"].get("schemas", {})
        for path, item in document["paths"].items():
            assert path.startswith("/v1.0/")
            for method, op in item.items():
                assert op["tags"] and op["responses"]
                for status, response in op["responses"].items():
                    if status[0] in "45" and "$ref" not in response:
                        assert list(response["content"]) == ["application/problem+json"], f"{method} {path}"
                        assert response["content"]["application/problem+json"]["example"]["status"] == int(status)


def test_public_routes_ask_for_no_token(exported: dict[str, str]) -> None:
    paths = documents(exported)[COMBINED]["paths"]
    public = {(p, m) for p, item in paths.items() for m, op in item.items() if op.get("security") == []}
    assert public == {("/v1.0/invitations/{token}", "get"), ("/v1.0/invitations/{token}/decline", "post")}
    assert "security" not in paths["/v1.0/invitations/{token}/accept"]["post"], "accepting needs a signed-in user"


def test_request_examples_come_from_the_models(exported: dict[str, str]) -> None:
    create = documents(exported)[COMBINED]["paths"]["/v1.0/tenants"]["post"]
    example = create["requestBody"]["content"]["application/json"]["example"]
    assert example["organizationName"] and example["contactEmail"]
    assert create["responses"]["201"]["headers"]["Location"] == {"$ref": "#/components/headers/Location"}


def test_the_export_command_writes_checks_and_prunes(tmp_path: Path, exported: dict[str, str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    out = tmp_path / "openapi"
    written = runner.invoke(cli, ["openapi", "export", "--out", str(out)])
    assert written.exit_code == 0, written.output
    assert {p.name for p in out.iterdir()} == set(exported)
    monkeypatch.setattr(bbws.openapi, "exported_files", lambda: exported)
    assert runner.invoke(cli, ["openapi", "export", "--out", str(out), "--check"]).exit_code == 0
    (out / "tenant-api.yaml").write_text("openapi: 3.0.3\n")
    (out / "sites-api.yaml").write_text("openapi: 3.0.3\n")  # an area without routes yet
    (out / "notes.yaml").write_text("mine\n")
    checked = runner.invoke(cli, ["openapi", "export", "--out", str(out), "--check"])
    assert checked.exit_code == 1
    assert "sites-api.yaml" in checked.output and "tenant-api.yaml" in checked.output
    assert "bbws openapi export" in checked.output and "notes.yaml" not in checked.output
    rewritten = runner.invoke(cli, ["openapi", "export", "--out", str(out)])
    assert rewritten.exit_code == 0, rewritten.output
    assert {p.name for p in out.iterdir()} == set(exported) | {"notes.yaml"}
    assert (out / "tenant-api.yaml").read_text() == exported["tenant-api.yaml"]


def test_the_export_command_explains_why_it_cannot_export(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail() -> dict[str, str]:
        raise ValueError("GET /v1.0/x: tags ['Mystery'] must name exactly one API area")

    monkeypatch.setattr(bbws.openapi, "exported_files", fail)
    result = CliRunner().invoke(cli, ["openapi", "export", "--check"])
    assert result.exit_code == 2 and "Mystery" in result.output
