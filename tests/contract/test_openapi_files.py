"""The committed OpenAPI files: valid 3.0.3, in step with the code, and covering every route once."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from fastapi.routing import iter_route_contexts
from openapi_spec_validator import validate

from bbws.openapi import COMBINED as COMBINED_NAME
from bbws.openapi import stale_files
from tests.contract.conftest import COMBINED, OPENAPI_DIR, REPO, load
from tests.support.api import ApiHarness

COMMITTED = sorted(OPENAPI_DIR.glob("*.yaml"))
SWAGGER_CLI = REPO / "node_modules" / ".bin" / "swagger-cli"
NOT_API = (
    "/docs", "/docs/oauth2-redirect", "/docs-assets", "/redoc", "/openapi.json", "/.well-known/jwks.json", "/healthz",
    "/readyz",
)
ISSUE_FILES = {"tenant-api.yaml", "hierarchy-api.yaml", "users-api.yaml", "invitations-api.yaml",
               "operations-api.yaml", "bbws-api.yaml"}


def test_the_api_areas_have_their_files() -> None:
    missing = ISSUE_FILES - {p.name for p in COMMITTED}
    assert not missing, f"missing in openapi/: {sorted(missing)}; run `bbws openapi export`"


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.name)
def test_file_is_valid_openapi_3_0(path: Path) -> None:
    document = load(path)
    assert document["openapi"] == "3.0.3"
    validate(document)


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.name)
def test_swagger_cli_validates_file(path: Path) -> None:
    if not SWAGGER_CLI.exists():
        pytest.fail("node_modules/.bin/swagger-cli is missing: run `scripts/setup.sh --dev` to install the Node tools")
    run = subprocess.run([str(SWAGGER_CLI), "validate", str(path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, f"swagger-cli validate {path.name}:\n{run.stdout}{run.stderr}"


def test_committed_files_match_the_code(exported: dict[str, str]) -> None:
    stale = stale_files(OPENAPI_DIR, exported)
    assert not stale, f"openapi/ differs from the code in {stale}: run `bbws openapi export` and commit the files"


def test_every_route_is_in_one_area_file_and_in_the_combined_file(tmp_path: Path) -> None:
    app = ApiHarness(tmp_path / "data").app
    served = [route for route in iter_route_contexts(app.routes) if route.path not in NOT_API]
    assert all(route.path and route.methods for route in served), "every route has a path and methods"
    routes = {(str(route.path), method.lower()) for route in served for method in route.methods or ()}
    assert routes, "the app serves no API routes"
    areas = {p.name: load(p)["paths"] for p in COMMITTED if p.name != COMBINED_NAME}
    combined = load(COMBINED)["paths"]
    for path, method in sorted(routes):
        homes = [name for name, paths in areas.items() if method in paths.get(path, {})]
        assert len(homes) == 1, f"{method.upper()} {path} is in {homes or 'no area file'}"
        assert method in combined.get(path, {}), f"{method.upper()} {path} is not in {COMBINED_NAME}"
    documented = {(p, m) for p, item in combined.items() for m in item}
    assert documented == routes, f"documented but not served: {sorted(documented - routes)}"


def test_declared_security_is_enforced(tmp_path: Path) -> None:
    """Operations that ask for a token answer 401 without one; public operations do not."""
    api = ApiHarness(tmp_path / "data")
    document = load(COMBINED)
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for path, item in document["paths"].items():
        for method, op in item.items():
            url = path.replace("{", "").replace("}", "")  # any text stands in for an id here
            status = api.client.request(method, url, json={}).status_code
            if op.get("security") == []:
                assert status != 401, f"{method.upper()} {path} is documented as public but asks for a token"
            else:
                assert status == 401, f"{method.upper()} {path} answered {status} without a token"
