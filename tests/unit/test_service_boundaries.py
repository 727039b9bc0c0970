"""Each service's HTTP routers import only their own contexts and the layers below them, so each service can be
packaged as its own Lambda: the tenant service without instances or sites, the instance service without sites, the
site service (with templates and plugins) without webhooks. Checked in a fresh interpreter per service."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

ENTRY_POINTS = {"app", "cli", "aws", "openapi", "readiness"}
SERVICES = {
    "tenants": (
        ["bbws.tenants.api", "bbws.tenants.hierarchy_api", "bbws.tenants.users_api", "bbws.tenants.invitations_api"],
        {"instances", "sites", "templates", "plugins", "notifications"},
    ),
    "instances": (["bbws.instances.api"], {"sites", "templates", "plugins", "notifications"}),
    "sites": (
        ["bbws.sites.api", "bbws.sites.api_ops", "bbws.sites.plugins.api", "bbws.templates.api",
         "bbws.templates.admin_api", "bbws.plugins.api"],
        {"notifications"},
    ),
}


def packages_loaded_by(modules: list[str]) -> set[str]:
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[1] for m in sys.modules if m.startswith('bbws.')})))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    return set(json.loads(done.stdout))


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_a_services_routers_load_no_other_service(service: str) -> None:
    modules, others = SERVICES[service]
    loaded = packages_loaded_by(modules)
    assert not loaded & (others | ENTRY_POINTS), f"{service} routers load {sorted(loaded & (others | ENTRY_POINTS))}"
