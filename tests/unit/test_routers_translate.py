"""Site routers only translate HTTP: they parse, load the site with the route's permission, call one service
function and shape the answer. A rule that can refuse a request (promotion order, target instance, states,
the health gate, a backup's status, a role beyond the route's permission) is the service's: a router that
raises a problem itself, calls a rule function, or asks the authorizer about more than its route fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SITES = Path(__file__).resolve().parents[2] / "src" / "bbws" / "sites"
ROUTERS = ("api.py", "api_ops.py", "templating_api.py", "plugins/api.py")
# Routers whose route permission goes through `load_site` / `can_reach_tenant`: any other question to the
# authorizer is a role rule of the service.
AUTHZ_BY_LOAD = ("api.py", "api_ops.py")
# Functions whose only use is to refuse a request on domain state: the service calls them, routers never do.
RULES = frozenset(
    {
        "assess",
        "check_action",
        "check_promotion",
        "check_subdomain",
        "claim_slot",
        "find_target",
        "free_slot",
        "get_backup",
        "get_tenant",
        "instance_of",
        "lookback_gate",
        "node_path_of",
        "raise_first",
        "refuse_busy",
        "refuse_taken",
        "require_active_tenant",
        "resolve_plugins",
        "resolve_template",
        "role_denial",
        "serving_instance",
    }
)
# (module, function, what): each an HTTP-input check or an HTTP concern, said why.
ALLOWED = {
    ("api.py", "update_site", "raise"): "a body with no field to change is bad input (NOTHING_TO_UPDATE)",
    ("api.py", "list_sites", "authz.allowed"): "a listing leaves out the rows the caller may not read",
}


def _called(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        owner = func.value.id if isinstance(func.value, ast.Name) else ""
        return f"{owner}.{func.attr}" if owner == "authz" else func.attr
    return func.id if isinstance(func, ast.Name) else ""


def preconditions(source: str, module: str) -> list[str]:
    """Every rule a router's functions apply themselves, as `module:line function: what`."""
    found = []
    for function in ast.parse(source).body:
        if not isinstance(function, ast.FunctionDef):
            continue
        for node in ast.walk(function):
            if not isinstance(node, ast.Raise | ast.Call):
                continue
            what = "raise" if isinstance(node, ast.Raise) else _called(node)
            ruled = what in RULES or what == "raise" or (what.startswith("authz.") and module in AUTHZ_BY_LOAD)
            if ruled and (module, function.name, what) not in ALLOWED:
                found.append(f"{module}:{node.lineno} {function.name}: {what}")
    return found


@pytest.mark.parametrize("module", ROUTERS)
def test_site_routers_leave_every_precondition_to_the_services(module: str) -> None:
    found = preconditions((SITES / module).read_text(), module)
    assert not found, "move these rules into the sites services:\n" + "\n".join(found)


def test_every_allowed_exception_is_still_there() -> None:
    """An allowance outlives its reason only until the router changes: then it goes too."""
    for module, function, what in ALLOWED:
        tree = ast.parse((SITES / module).read_text())
        body = next(f for f in tree.body if isinstance(f, ast.FunctionDef) and f.name == function)
        seen = {"raise" for n in ast.walk(body) if isinstance(n, ast.Raise)}
        seen |= {_called(n) for n in ast.walk(body) if isinstance(n, ast.Call)}
        assert what in seen, (module, function, what)


def test_the_scan_finds_a_promotion_rule_written_in_a_route() -> None:
    route = (
        "def promote(ctr, authz, body, source):\n"
        "    authz.require(f'promote:{body.target}', tenant_id=source['tenantId'])\n"
        "    check_promotion(source['environment'], body.target)\n"
        "    if source['status'] != 'ACTIVE':\n"
        "        raise UnprocessableEntity('no', code='SITE_005')\n"
        "    return readiness.promote(container=ctr, source=source)\n"
    )
    assert [line.split(" ", 1)[1] for line in preconditions(route, "api_ops.py")] == [
        "promote: authz.require",
        "promote: check_promotion",
        "promote: raise",
    ]
