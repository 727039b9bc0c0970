"""Schemathesis over every operation of the exported `bbws-api.yaml`, against the app in process, as a
platform admin: no 5xx, and every answer has a documented status, content type, headers and body."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
import yaml
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.contract.conftest import COMBINED
from tests.support.api import ApiHarness, rid

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20_260_101,
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
        "generation": {"max-examples": 20, "database": "none"},
    }
)
TOKEN_IN_MAIL = re.compile(r"Your invitation token: (\S+)")

# Path parameter values that stand for "a new tenant in this state (with a division, group, team, user and
# invitation)", made just before the call: destructive cases (park, delete, accept) would otherwise use up
# the seeded data and leave only 4xx answers for the rest of the run.
FRESH_TENANTS = {
    f"ten_{('fresh' + state.lower()).ljust(26, '0')}": state
    for state in ("ACTIVE", "PARKED", "SUSPENDED", "DEPROVISIONED")
}
FRESH_TOKEN = "fresh-invitation-token".ljust(32, "0")
# Coherent sets of real ids (a tenant and its nodes, user, invitation), filled by the `contract_api` fixture.
WORLDS: list[dict[str, str]] = []

if not COMBINED.exists():
    pytest.fail(f"{COMBINED.name} is missing: run `bbws openapi export`", pytrace=False)
schema = schemathesis.openapi.from_path(COMBINED, config=CONFIG)


@schema.hook
def flatmap_path_parameters(
    context: Any, path_parameters: dict[str, Any] | None
) -> st.SearchStrategy[dict[str, Any] | None]:
    """Path parameters name generated (mostly missing) resources, a seeded world, or a fresh one."""
    if not path_parameters:
        return st.just(path_parameters)
    options = [path_parameters]
    options += [{name: world.get(name, value) for name, value in path_parameters.items()} for world in WORLDS]
    if "tenantId" in path_parameters:
        options += [{**path_parameters, "tenantId": sentinel} for sentinel in FRESH_TENANTS]
    if "token" in path_parameters:
        options.append({**path_parameters, "token": FRESH_TOKEN})
    return st.sampled_from(options)


def build_world(api: ApiHarness, state: str = "ACTIVE", needs: frozenset[str] | None = None) -> dict[str, str]:
    """A tenant in `state` with what the path needs of: a division, group, team, user and invitation."""
    admin = api.admin()

    def post(url: str, body: dict[str, Any]) -> dict[str, Any]:
        r = api.client.post(url, json=body, headers=admin)
        assert r.status_code in (201, 202), r.text
        return dict(r.json())

    def want(*names: str) -> bool:
        return needs is None or any(name in needs for name in names)

    tenant = f"/v1.0/tenants/{api.create_tenant()['tenantId']}"
    world = {"tenantId": tenant.rpartition("/")[2], "userId": rid("user")}
    if want("divisionId", "groupId", "teamId"):
        division = post(f"{tenant}/divisions", {"name": rid("Division")})
        group = post(division["_links"]["children"]["href"], {"name": rid("Group")})
        team = post(group["_links"]["children"]["href"], {"name": rid("Team")})
        world |= {"divisionId": division["nodeId"], "groupId": group["nodeId"], "teamId": team["nodeId"]}
    if want("userId"):
        post(f"{tenant}/users", {"userId": world["userId"], "role": "VIEWER"})
    if want("invitationId", "token"):
        email = f"{rid('invitee')}@example.com"
        world["invitationId"] = post(f"{tenant}/invitations", {"email": email, "role": "VIEWER"})["invitationId"]
        [mail] = [m for m in api.container.mailer.messages() if m.to == email]
        match = TOKEN_IN_MAIL.search(mail.body)
        assert match, mail.body
        world["token"] = match.group(1)
    action = {"PARKED": "lifecycle/park", "SUSPENDED": "lifecycle/suspend"}.get(state)
    if action:
        world["operationId"] = post(f"{tenant}/{action}", {"reason": "Made for the contract tests"})["operationId"]
    elif state == "DEPROVISIONED":
        r = api.client.delete(tenant, headers=admin)
        assert r.status_code == 202, r.text
    return world


@pytest.fixture(scope="module")
def contract_api(tmp_path_factory: pytest.TempPathFactory) -> ApiHarness:
    api = ApiHarness(tmp_path_factory.mktemp("contract") / "data")
    active, parked = build_world(api), build_world(api, "PARKED")
    WORLDS[:] = [{"operationId": parked["operationId"], **active}, parked]
    return api


@pytest.fixture(scope="module")
def admin_headers(contract_api: ApiHarness) -> dict[str, str]:
    return contract_api.admin()


def check_operation(case: schemathesis.Case, contract_api: ApiHarness, admin_headers: dict[str, str]) -> None:
    params = dict(case.path_parameters or {})
    state = FRESH_TENANTS.get(params.get("tenantId", ""))
    if state or params.get("token") == FRESH_TOKEN:
        world = build_world(contract_api, state or "ACTIVE", frozenset(params))
        case.path_parameters = {name: world.get(name, value) for name, value in params.items()}
    case.headers = {**(case.headers or {}), **admin_headers}
    case.call_and_validate(checks=CHECKS, app=contract_api.app)


def _test_for(operation_id: str) -> Callable[..., None]:
    """One test function per operation. Schemathesis gives the items of one function a single node id,
    and `--dist loadgroup` (the suite's scheduler) keys tests by node id, so it would run one operation."""

    def test(case: schemathesis.Case, contract_api: ApiHarness, admin_headers: dict[str, str]) -> None:
        check_operation(case, contract_api, admin_headers)

    test.__name__ = test.__qualname__ = f"test_{operation_id}"
    return schema.include(operation_id=operation_id).parametrize()(test)


for _item in yaml.safe_load(COMBINED.read_text(encoding="utf-8"))["paths"].values():
    for _op in _item.values():
        globals()[f"test_{_op['operationId']}"] = _test_for(_op["operationId"])
