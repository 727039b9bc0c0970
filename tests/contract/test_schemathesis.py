"""Schemathesis over the exported `bbws-api.yaml`, against the app in process, as a platform admin: every phase
(examples, coverage, fuzzing: one test per operation; stateful: `test_stateful`), valid and invalid data, and
every check (no 5xx; documented status, content type, headers and body; valid data accepted and invalid data
refused; missing auth, unsupported methods and `Allow`; `use_after_free`, `ensure_resource_availability`...)."""

from __future__ import annotations

import contextlib
import random
import re
from collections.abc import Callable
from typing import Any

import hypothesis
import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import Flaky
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from tests.contract.conftest import COMBINED
from tests.support.api import ApiHarness, rid

CONFIG_SEED = 20_260_101
# Bounds that keep the whole contract run to a few minutes on two cores: examples per operation in each phase,
# and scenarios of at most so many steps.
STATEFUL_SCENARIOS, STATEFUL_STEPS = 30, 10
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": CONFIG_SEED,
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
        "generation": {"mode": "all", "max-examples": 20, "database": "none"},
        "phases": {
            "examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True},
            "stateful": {"enabled": True, "max-steps": STATEFUL_STEPS},
        },
        "checks": {"enabled": True},
    }
)
# Refusals a schema cannot foresee. A cursor must be one the server issued (it is signed); a lifecycle or version
# move depends on the stored state; a deprovisioned or inactive tenant changes nothing; a WordPress version must be
# installed on the runtime; a webhook host must resolve to a public address; an uploaded zip must hold a plugin;
# purging the whole DLQ needs `confirm=true` unless jobs are named (two query parameters OpenAPI cannot tie).
STATE_CODES = {
    "INVALID_PAGINATION_TOKEN", "INVALID_STATUS_TRANSITION", "TENANT_DEPROVISIONED", "TENANT_NOT_ACTIVE",
    "SITE_005", "UNSUPPORTED_VERSION", "WEBHOOK_URL_NOT_ALLOWED", "PLUGIN_PACKAGE_INVALID", "CONFIRMATION_REQUIRED",
}
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


class CurrentApp:
    """The app of this worker's harness. Schemathesis binds an app to each operation when the tests are made,
    before any fixture runs, and its auth probes (`ignored_auth`) send through that binding."""

    app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


CURRENT_APP = CurrentApp()


def generator_view(node: Any) -> Any:
    """The spec as the generator reads it: OpenAPI 3.0 has no `propertyNames`, so the spec says the rule for a
    map's keys in `x-propertyNames`; here it becomes the JSON Schema keyword, so generated keys follow it too."""
    if isinstance(node, list):
        return [generator_view(x) for x in node]
    if not isinstance(node, dict):
        return node
    return {("propertyNames" if k == "x-propertyNames" else k): generator_view(v) for k, v in node.items()}


SPEC = yaml.safe_load(COMBINED.read_text(encoding="utf-8"))
schema = schemathesis.openapi.from_dict(generator_view(SPEC), config=CONFIG)
schema.app = CURRENT_APP


def negative(case: schemathesis.Case, location: ParameterLocation) -> bool:
    """Whether schemathesis made this part of the request invalid on purpose (then the harness leaves it be)."""
    info = case.meta.components.get(location) if case.meta else None
    return info is not None and not info.mode.is_positive


def place(case: schemathesis.Case, api: ApiHarness) -> None:
    """Valid path parameters name generated (mostly missing) resources, a seeded world, or a fresh one."""
    params = dict(case.path_parameters or {})
    if not params or negative(case, ParameterLocation.PATH):
        return
    options = [params] + [{name: world.get(name, value) for name, value in params.items()} for world in WORLDS]
    if "tenantId" in params:
        options += [{**params, "tenantId": sentinel} for sentinel in FRESH_TENANTS]
    if "token" in params:
        options.append({**params, "token": FRESH_TOKEN})
    params = random.Random(case.id).choice(options)
    state = FRESH_TENANTS.get(params.get("tenantId", ""))
    if state or params.get("token") == FRESH_TOKEN:
        world = build_world(api, state or "ACTIVE", frozenset(params))
        params = {name: world.get(name, value) for name, value in params.items()}
    case.path_parameters = params


def follow_key_rules(case: schemathesis.Case) -> None:
    """Valid bodies: map keys follow the map's `x-propertyNames` (the fuzzing phase reads it as `propertyNames`;
    the coverage phase has its own generator, which does not)."""
    if negative(case, ParameterLocation.BODY) or not isinstance(case.body, dict):
        return
    media = next(iter(case.operation.definition.raw.get("requestBody", {}).get("content", {}).values()), {})
    properties = resolve(media.get("schema", {})).get("properties", {})
    for name, prop in properties.items():
        rule = resolve(prop).get("x-propertyNames")
        value = case.body.get(name)
        if rule and isinstance(value, dict):
            case.body[name] = {
                key if re.search(rule.get("pattern", ""), key) and 0 < len(key) <= rule.get("maxLength", 64)
                else f"k{i}": item for i, (key, item) in enumerate(value.items())
            }


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node or len(node.get("allOf", ())) == 1:
        ref = node["$ref"] if "$ref" in node else node["allOf"][0].get("$ref", "")
        if not ref:
            return dict(node["allOf"][0])
        node = SPEC["components"]["schemas"][ref.rpartition("/")[2]]
    return node


def auth_for(case: schemathesis.Case, admin_headers: dict[str, str]) -> dict[str, str]:
    """A platform admin's token, unless the headers are the invalid part (a missing or bad `Authorization`)."""
    return {} if negative(case, ParameterLocation.HEADER) else admin_headers


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
    CURRENT_APP.app = api.app
    return api


@pytest.fixture(scope="module")
def admin_headers(contract_api: ApiHarness) -> dict[str, str]:
    return contract_api.admin()


def check_operation(case: schemathesis.Case, contract_api: ApiHarness, admin_headers: dict[str, str]) -> None:
    place(case, contract_api)
    follow_key_rules(case)
    headers = auth_for(case, admin_headers)
    response = case.call(headers=headers)
    case.validate_response(response, headers=headers, transport_kwargs={"headers": headers},
                           excluded_checks=refused_by_state(case, response))


def mislabelled_negative(case: schemathesis.Case) -> bool:
    """A case whose generator described it as a "Positive test case" with no mutation, yet which is labelled
    negative: its path value is one the schema allows, percent-encoded (`0ULV7YD4rco7%2BE_1r` for a user id that may
    hold `+`). The server rightly accepts it, so `negative_data_rejection` is left out for it alone."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_negative:
        return False
    data = meta.phase.data
    return getattr(data, "description", None) == "Positive test case" and not getattr(data, "mutations", ())


def refused_by_state(case: schemathesis.Case, response: Any) -> list[Any]:
    """`positive_data_acceptance` is left out for one answer when it is a documented refusal that depends on what
    is stored or on the world outside the request, which no schema can say (the codes in STATE_CODES), and
    `negative_data_rejection` for a mislabelled case (above); every other check still runs on it, and every other
    answer gets every check."""
    excluded = [negative_data_rejection] if mislabelled_negative(case) else []
    documented = str(response.status_code) in case.operation.definition.raw.get("responses", {})
    if documented and "problem+json" in str(response.headers.get("content-type")):
        excluded += [positive_data_acceptance] if response.json().get("code") in STATE_CODES else []
    return excluded


def _test_for(operation_id: str) -> Callable[..., None]:
    """One test function per operation. Schemathesis gives the items of one function a single node id,
    and `--dist loadgroup` (the suite's scheduler) keys tests by node id, so it would run one operation."""

    def test(case: schemathesis.Case, contract_api: ApiHarness, admin_headers: dict[str, str]) -> None:
        check_operation(case, contract_api, admin_headers)

    test.__name__ = test.__qualname__ = f"test_{operation_id}"
    return schema.include(operation_id=operation_id).parametrize()(test)


for _item in SPEC["paths"].values():
    for _op in _item.values():
        globals()[f"test_{_op['operationId']}"] = _test_for(_op["operationId"])


def test_stateful(contract_api: ApiHarness, admin_headers: dict[str, str]) -> None:
    """Scenarios that chain operations through their links (a create, then reads, changes and deletes of what it
    made), with every check, `use_after_free` and `ensure_resource_availability` included."""
    failures: list[str] = []
    scenarios = [0]

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: schemathesis.Case) -> None:
            follow_key_rules(case)

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": auth_for(case, admin_headers)}

        def validate_response(
            self, response: Any, case: schemathesis.Case, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            try:
                case.validate_response(response, headers=kwargs.get("headers"), additional_checks=additional_checks,
                                       excluded_checks=refused_by_state(case, response), transport_kwargs=kwargs,
                                       recorder=self.recorder)
            except Exception as exc:  # kept, and reported after the run (see below)
                failures.append(f"{case.method} {case.path}: {exc}")

        def teardown(self) -> None:
            scenarios[0] += 1
            super().teardown()

    # The steps run against one live store, so Hypothesis can never replay a scenario: what a step answers depends
    # on what earlier scenarios left. Failures are therefore collected rather than raised (a replay would only
    # report "flaky" and hide them), and a run that Hypothesis ends as flaky is continued with another seed, as
    # schemathesis's own runner does, until the scenarios are done.
    for seed in range(STATEFUL_SCENARIOS):
        left = STATEFUL_SCENARIOS - scenarios[0]
        if left <= 0:
            break
        with contextlib.suppress(Flaky):
            hypothesis.seed(CONFIG_SEED + seed)(Workflow).run(settings=settings(
                max_examples=left, stateful_step_count=STATEFUL_STEPS, deadline=None, phases=[Phase.generate],
                suppress_health_check=list(HealthCheck), database=None,
            ))
    assert scenarios[0] >= STATEFUL_SCENARIOS // 2, f"only {scenarios[0]} scenarios ran"
    assert not failures, "\n\n".join(dict.fromkeys(failures))
