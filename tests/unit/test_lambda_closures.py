"""Each HTTP Lambda loads only its own service: in a fresh interpreter, the entry point answers its first request
(which builds its app and its container over a SQLite store) and the bbws packages and the heavy libraries it
loaded are checked. The tenant service loads no instance, site, template or plugin code; the instance service no
site, catalog or webhook code; none loads a runtime driver before a job needs one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

EVENTS_DIR = Path(__file__).parents[1] / "events"

# entry point -> (bbws packages it must never load, other modules it must not load at its first request)
NEVER = {
    "tenants_http": ({"instances", "sites", "templates", "plugins", "cli", "openapi", "readiness"},
                     {"bbws.instances.local", "bbws.instances.gitops", "bbws.sites.health"}),
    "instances_http": ({"sites", "templates", "plugins", "notifications", "cli", "openapi", "readiness"},
                       {"bbws.instances.local", "bbws.instances.gitops", "httpx", "standardwebhooks"}),
    "sites_http": ({"notifications", "cli", "openapi", "readiness"},
                   {"bbws.instances.local", "bbws.instances.gitops", "standardwebhooks"}),
}
EXPECTED = {
    "tenants_http": {"tenants", "jobs", "events", "notifications"},
    "instances_http": {"tenants", "instances"},
    "sites_http": {"tenants", "instances", "sites", "templates", "plugins"},
}
PROBE = """
import json, sys
from importlib import import_module
entry = import_module("bbws.aws." + sys.argv[1])
event = json.loads(open(sys.argv[2]).read())
response = entry.handler(event, None)
print(json.dumps({
    "status": response["statusCode"],
    "packages": sorted({name.split(".")[1] for name in sys.modules if name.startswith("bbws.")}),
    "modules": sorted(sys.modules),
}))
"""


def first_request(entry: str, data_dir: Path, **extra_env: str) -> dict[str, object]:
    env = {"PATH": "/usr/bin:/bin", "BBWS_DATA_DIR": str(data_dir), "BBWS_RUN_WORKER": "false",
           "POWERTOOLS_METRICS_NAMESPACE": "BBWS", **extra_env}
    done = subprocess.run([sys.executable, "-c", PROBE, entry, str(EVENTS_DIR / "apigw_v2_request.json")],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("entry", sorted(NEVER))
def test_an_http_lambda_loads_only_its_own_service(entry: str, tmp_path: Path) -> None:
    loaded = first_request(entry, tmp_path / "data")
    assert loaded["status"] == 200
    packages, modules = set(loaded["packages"]), set(loaded["modules"])  # type: ignore[call-overload]
    never_packages, never_modules = NEVER[entry]
    assert not packages & never_packages, f"{entry} loads {sorted(packages & never_packages)}"
    assert not modules & never_modules, f"{entry} loads {sorted(modules & never_modules)}"
    assert EXPECTED[entry] <= packages  # its own routers were mounted


def test_what_a_service_reads_without_another_context_agrees_with_that_context(tmp_path: Path) -> None:
    """The tenant service's instance precheck, and a site's place in the tree read from its record, name the
    same statuses, actions and keys as the contexts it does not load."""
    from bbws import app
    from bbws.core.keys import tenant_pk
    from bbws.instances.models import IN_FLIGHT
    from bbws.instances.work import TENANT_CASCADE
    from bbws.jobs.deferred import release_later, stored_node
    from bbws.sites import keys as site_keys
    from bbws.sites.records import site_node
    from bbws.store.sqlite_store import SqliteStore
    from bbws.tenants.instance_status import BUSY_STATUSES, MOVES_INSTANCES

    assert {str(status) for status in IN_FLIGHT} == BUSY_STATUSES
    assert set(TENANT_CASCADE) == MOVES_INSTANCES
    store = SqliteStore(tmp_path / "bbws.sqlite")
    store.put({"pk": tenant_pk("ten_a"), "sk": site_keys.site_sk("sit_a"), "nodePath": "div_a/grp_b"})
    operation = {"tenantId": "ten_a", "resourceType": "site", "resourceId": "sit_a"}
    assert stored_node(site_keys.SITE_PREFIX)(store, operation) == site_node(store, operation) == "div_a/grp_b"

    every = app.build_hooks(app.build_handlers())
    for service in app.SERVICES:
        hooks = app.build_hooks(app.build_handlers(service), service=service)
        assert sorted(hooks.release) == sorted(every.release) == sorted(app.RESOURCE_TYPES)
        assert sorted(hooks.resource_nodes) == sorted(every.resource_nodes)
        assert hooks.release["tenant"] is every.release["tenant"]  # its own contexts release directly
    tenants = app.build_hooks(app.build_handlers("tenants"), service="tenants")
    assert tenants.release["site"] is release_later and tenants.tenant_cascades == []


def test_the_x_ray_tracer_is_made_only_where_tracing_is_on(tmp_path: Path) -> None:
    """Outside a Lambda function (and with `POWERTOOLS_TRACE_DISABLED`) the X-Ray SDK is never loaded; in one, the
    handler is traced and still answers."""
    in_lambda = first_request("tenants_http", tmp_path / "a", AWS_LAMBDA_FUNCTION_NAME="bbws-tenants-dev")
    disabled = first_request("tenants_http", tmp_path / "b", AWS_LAMBDA_FUNCTION_NAME="bbws-tenants-dev",
                             POWERTOOLS_TRACE_DISABLED="true")
    outside = first_request("tenants_http", tmp_path / "c")
    assert [r["status"] for r in (in_lambda, disabled, outside)] == [200, 200, 200]
    assert ["aws_xray_sdk" in r["modules"] for r in (in_lambda, disabled, outside)] == [True, False, False]  # type: ignore[operator]
