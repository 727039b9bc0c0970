"""A site's plugins and themes through the API on real WordPress: install, configure, update, remove (each an
Operation the worker runs), drift, access."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bbws.core.driver import InstanceSpec
from bbws.instances.runtime import stop_runtime
from bbws.instances.service import spec_of
from bbws.sites import keys
from bbws.sites.plugins.api import router as site_plugins_router
from bbws.tenants import keys as tenant_keys
from tests.support import packages
from tests.support.api import ApiHarness, rid

PORTS = "31000-31999"  # instances of this module only (the runtime tests take blocks of 20000-31999 at random)


@dataclass
class World:
    api: ApiHarness
    tenant_id: str
    spec: InstanceSpec
    catalog: dict[str, str]  # name -> pluginId

    def site(self, **fields: Any) -> dict[str, Any]:
        """A new ACTIVE site of the tenant's dev instance, made through the sites API (its stored record)."""
        body = {"siteName": "Plugins", "subdomain": rid("p"), "environment": "dev", **fields}
        op = self.api.wait(
            self.api.client.post(f"/v1.0/tenants/{self.tenant_id}/sites", json=body, headers=self.api.admin())
        )
        assert op["status"] == "COMPLETED", op
        return self.record({"siteId": op["result"]["siteId"]})

    def record(self, site: dict[str, Any]) -> dict[str, Any]:
        found = self.api.container.store.get(tenant_keys.tenant_pk(self.tenant_id), keys.site_sk(site["siteId"]))
        assert found is not None
        return found

    def admin(self, site: dict[str, Any], command: str, args: dict[str, Any] | None = None) -> Any:
        return self.api.container.runtime.get().run_admin(self.spec, site["key"], command, args)

    def plugins(self, site: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {p["slug"]: p for p in self.admin(site, "plugins")}

    def url(self, site: dict[str, Any], rest: str = "") -> str:
        return f"/v1.0/tenants/{self.tenant_id}/sites/{site['siteId']}/{rest}".rstrip("/")

    def change(
        self, method: str, site: dict[str, Any], rest: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """A plugin change: accepted (202), run by the worker; its finished Operation."""
        return self.api.wait(self.api.client.request(method, self.url(site, rest), json=body,
                                                     headers=headers or self.api.admin()))


def front_page(site: dict[str, Any]) -> str:
    return httpx.get(site["url"], timeout=20, trust_env=False).text


def _upload(api: ApiHarness, archive: Path) -> str:
    response = packages.upload(api, archive)
    assert response.status_code == 201, response.text
    return str(response.json()["pluginId"])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    work = tmp_path_factory.mktemp("site-plugins")
    api = packages.catalog_harness(work / "data", instance_ports=PORTS)
    if not any(getattr(r, "path", "").endswith("/plugins/{slug}/status") for r in api.app.routes):
        api.app.include_router(site_plugins_router)
    missing = api.container.runtime.get().missing()
    if missing:
        pytest.fail(f"the local runtime needs: {' '.join(missing)} (run scripts/setup.sh)")
    tenant = api.create_tenant(tier="PROFESSIONAL")  # the module makes more sites than the STANDARD quota
    api.run_jobs()
    tid = tenant["tenantId"]
    op = api.wait(
        api.client.post(
            f"/v1.0/tenants/{tid}/instances", json={"environment": "dev", "desiredCount": 1}, headers=api.admin()
        )
    )
    assert op["status"] == "COMPLETED", op
    record = api.container.store.get(tenant_keys.tenant_pk(tid), tenant_keys.instance_sk("dev"))
    assert record is not None
    catalog = {
        "hello-1.0": _upload(api, packages.fixture_zip("bbws-hello", work)),
        "hello-1.1": _upload(api, packages.fixture_zip("bbws-hello", work, version="1.1.0")),
        "headers": _upload(api, packages.fixture_zip("bbws-headers", work)),
        "theme": _upload(api, packages.theme_zip(work / "theme.zip", version="1.0.0")),
        "blocked": _upload(
            api,
            packages.zip_members(
                work / "blocked.zip", {"bbws-blocked/bbws-blocked.php": packages.plugin_php("Blocked")}
            ),
        ),
        "vulnerable": _upload(
            api,
            packages.zip_members(
                work / "vulnerable.zip", {"bbws-leaky/bbws-leaky.php": packages.plugin_php("Leaky", "0.9")}
            ),
        ),
        "future": _upload(
            api,
            packages.zip_members(
                work / "future.zip",
                {
                    "bbws-future/bbws-future.php": packages.plugin_php("Future").replace(
                        b" */", b" * Requires at least: 99.0\n */"
                    )
                },
            ),
        ),
        "flaky-1": _upload(
            api,
            packages.zip_members(
                work / "flaky-1.zip", {"bbws-flaky/bbws-flaky.php": packages.plugin_php("Flaky", "1.0")}
            ),
        ),
        "flaky-2": _upload(
            api,
            packages.zip_members(
                work / "flaky-2.zip",
                {"bbws-flaky/bbws-flaky.php": packages.plugin_php("Flaky", "2.0") + b"bbws_no_such_function();\n"},
            ),
        ),
        "broken": _upload(
            api,
            packages.zip_members(
                work / "broken.zip",
                {"bbws-broken/bbws-broken.php": packages.plugin_php("Broken") + b"bbws_no_such_function();\n"},
            ),
        ),
    }
    for name, change in (
        ("blocked", {"blocklisted": True}),
        ("vulnerable", {"vulnerabilities": [{"id": "CVE-2024-0001", "summary": "XSS"}]}),
    ):
        answer = api.client.put(f"/v1.0/plugins/{catalog[name]}", json=change, headers=api.admin())
        assert answer.status_code == 200, answer.text
    yield World(api=api, tenant_id=tid, spec=spec_of(record), catalog=catalog)
    stop_runtime(api.container)


def test_install_configure_update_and_remove_a_plugin(world: World) -> None:
    api, site, admin = world.api, world.site(), world.api.admin()
    made = world.change("POST", site, "plugins", {"slug": "bbws-hello", "version": "1.0.0"})
    assert made["status"] == "COMPLETED", made
    item = made["result"]["plugin"]
    assert item["declared"] == {
        "pluginId": world.catalog["hello-1.0"],
        "version": "1.0.0",
        "active": True,
        "config": {},
    }
    assert item["actual"] == {"version": "1.0.0", "active": True} and item["inSync"] is True
    assert api.client.get(world.url(site, "plugins/bbws-hello"), headers=admin).json()["actual"]["active"] is True
    assert world.plugins(site)["bbws-hello"]["active"] is True
    assert "Hello from BBWS" in front_page(site)

    again = world.change("POST", site, "plugins", {"pluginId": world.catalog["hello-1.0"]})
    assert again["status"] == "FAILED" and again["error"]["code"] == "PLUG_004", again

    configured = world.change(
        "PUT", site, "plugins/bbws-hello/config", {"options": {"bbws_hello_greeting": "Howdy from the platform"}}
    )
    assert configured["status"] == "COMPLETED", configured
    assert configured["result"]["plugin"]["declared"]["config"] == {"bbws_hello_greeting": "Howdy from the platform"}
    assert "Howdy from the platform" in front_page(site)
    extra = {"options": {"bbws_hello_extra": "x"}}
    assert world.change("PUT", site, "plugins/bbws-hello/config", extra)["status"] == "COMPLETED"
    dropped = world.change("PUT", site, "plugins/bbws-hello/config", {"options": {"bbws_hello_extra": None}})
    assert dropped["result"]["plugin"]["declared"]["config"] == {"bbws_hello_greeting": "Howdy from the platform"}
    assert world.admin(site, "get-options", {"names": ["bbws_hello_extra"]})["options"] == {"bbws_hello_extra": None}
    core = api.client.put(
        world.url(site, "plugins/bbws-hello/config"),
        json={"options": {"siteurl": "http://elsewhere.example", "bbws_ok": 1}},
        headers=admin,
    )
    assert core.status_code == 422 and core.json()["errors"][0]["field"] == "options.siteurl"
    assert world.admin(site, "get-options", {"names": ["siteurl", "bbws_ok"]})["options"] == {
        "siteurl": site["url"].rstrip("/"),
        "bbws_ok": None,
    }

    off = world.change("PUT", site, "plugins/bbws-hello/status", {"active": False})
    assert off["status"] == "COMPLETED" and off["result"]["plugin"]["actual"]["active"] is False
    assert world.plugins(site)["bbws-hello"]["active"] is False and "Howdy" not in front_page(site)
    assert world.record(site)["declared"]["plugins"]["bbws-hello"]["active"] is False
    assert world.change("PUT", site, "plugins/bbws-hello/status", {"active": True})["status"] == "COMPLETED"

    updated = world.change("PUT", site, "plugins/bbws-hello/update", {})
    assert updated["status"] == "COMPLETED", updated
    assert updated["result"]["plugin"]["declared"] == {
        "pluginId": world.catalog["hello-1.1"],
        "version": "1.1.0",
        "active": True,
        "config": {"bbws_hello_greeting": "Howdy from the platform"},
    }
    assert world.plugins(site)["bbws-hello"] | {"plugin": None} == {
        "plugin": None,
        "slug": "bbws-hello",
        "name": "BBWS Hello",
        "version": "1.1.0",
        "active": True,
    }
    assert "Howdy from the platform" in front_page(site)
    same = world.change("PUT", site, "plugins/bbws-hello/update", {"version": "1.1.0"})
    assert same["status"] == "FAILED" and same["error"]["code"] == "PLUG_004", same

    listed = api.client.get(world.url(site, "plugins"), headers=admin).json()
    assert listed["drift"] == []
    assert {(i["kind"], i["slug"]) for i in listed["items"]} >= {("plugin", "bbws-hello"), ("plugin", "akismet")}

    gone = world.change("DELETE", site, "plugins/bbws-hello")
    assert gone["status"] == "COMPLETED", gone
    assert "bbws-hello" not in world.plugins(site) and "Howdy" not in front_page(site)
    assert "bbws-hello" not in world.record(site)["declared"]["plugins"]
    files = world.admin(site, "inventory", {"files": True})["files"]
    assert "plugins/akismet/akismet.php" in files and not [n for n in files if n.startswith("plugins/bbws-hello/")]
    twice = world.change("DELETE", site, "plugins/bbws-hello")
    assert twice["status"] == "FAILED" and twice["error"]["code"] == "PLUG_001"
    actions = [
        a["action"]
        for a in api.container.store.query(tenant_keys.tenant_pk(world.tenant_id), sk_prefix="AUDIT#", limit=1000).items
        if a.get("resourceId") == site["siteId"]
    ]
    assert {
        "site.plugin_installed",
        "site.plugin_configured",
        "site.plugin_deactivated",
        "site.plugin_updated",
        "site.plugin_removed",
    } <= set(actions)


def test_a_theme_installs_becomes_the_sites_theme_and_is_kept_while_active(world: World) -> None:
    api, site, admin = world.api, world.site(), world.api.admin()
    before = world.admin(site, "get-options", {"names": ["stylesheet"]})["options"]["stylesheet"]
    made = world.change("POST", site, "plugins", {"slug": "bbws-plain", "kind": "theme"})
    assert made["status"] == "COMPLETED", made
    item = made["result"]["plugin"]
    assert item["kind"] == "theme" and item["actual"] == {"version": "1.0.0", "active": True}
    assert world.admin(site, "get-options", {"names": ["stylesheet"]})["options"]["stylesheet"] == "bbws-plain"
    assert world.record(site)["declared"]["theme"] == "bbws-plain"
    refused = api.client.delete(world.url(site, "plugins/bbws-plain?kind=theme"), headers=admin)
    assert refused.status_code == 409 and refused.json()["code"] == "THEME_ACTIVE"
    off = api.client.put(world.url(site, "plugins/bbws-plain/status?kind=theme"), json={"active": False}, headers=admin)
    assert off.status_code == 422

    back = world.change("PUT", site, f"plugins/{before}/status?kind=theme", {"active": True})
    assert back["status"] == "COMPLETED", back
    assert world.record(site)["declared"]["theme"] == before
    removed = world.change("DELETE", site, "plugins/bbws-plain?kind=theme")
    assert removed["status"] == "COMPLETED", removed
    assert "bbws-plain" not in {t["theme"] for t in world.admin(site, "themes")}
    assert api.client.get(world.url(site, "drift"), headers=admin).json()["drift"] == []


@pytest.mark.parametrize(
    ("name", "code"), [("blocked", "PLUG_002"), ("vulnerable", "PLUG_003"), ("future", "PLUGIN_INCOMPATIBLE")]
)
def test_blocklisted_vulnerable_and_incompatible_versions_are_refused_and_nothing_is_installed(
    world: World, name: str, code: str
) -> None:
    api, site = world.api, world.site()
    answer = api.client.post(world.url(site, "plugins"), json={"pluginId": world.catalog[name]}, headers=api.admin())
    assert answer.status_code == 422 and answer.json()["code"] == code, answer.text
    assert not {"bbws-blocked", "bbws-leaky", "bbws-future"} & set(world.plugins(site))
    assert world.record(site)["version"] == site["version"]


def test_a_wordpress_failure_fails_the_operation_and_leaves_nothing_behind(world: World) -> None:
    site = world.site()
    op = world.change("POST", site, "plugins", {"pluginId": world.catalog["broken"]})
    assert op["status"] == "FAILED" and op["error"]["code"] == "WP_001", op
    detail = op["error"]["detail"]
    assert "bbws_no_such_function()" in detail and "in wp-content/plugins/bbws-broken/bbws-broken.php:" in detail
    assert "/instances/" not in detail and "Stack trace" not in detail  # one line, no server paths
    assert "bbws-broken" not in world.plugins(site)
    after = world.record(site)
    assert after["declared"] == site["declared"] and after["status"] == "ACTIVE" and not after["pendingOperationId"]
    assert "bbws_no_such_function()" in after["lastError"]


def test_a_failed_update_puts_the_declared_version_back(world: World) -> None:
    site = world.site()
    made = world.change("POST", site, "plugins", {"pluginId": world.catalog["flaky-1"]})
    assert made["status"] == "COMPLETED", made
    before = world.record(site)
    answer = world.change("PUT", site, "plugins/bbws-flaky/update", {})
    assert answer["status"] == "FAILED" and answer["error"]["code"] == "WP_001", answer
    assert world.plugins(site)["bbws-flaky"] | {"plugin": None} == {
        "plugin": None,
        "slug": "bbws-flaky",
        "name": "Flaky",
        "version": "1.0",
        "active": True,
    }
    assert world.record(site)["declared"] == before["declared"] and world.record(site)["status"] == "ACTIVE"
    assert world.record(site)["declared"]["plugins"]["bbws-flaky"]["version"] == "1.0"
    assert httpx.get(site["url"], timeout=20, trust_env=False).status_code == 200


def test_a_site_created_with_catalog_plugins_declares_them_in_sync(world: World) -> None:
    site = world.site(plugins=["bbws-headers"])
    assert world.plugins(site)["bbws-headers"]["active"] is True
    assert httpx.get(site["url"], timeout=20, trust_env=False).headers["x-bbws-headers"] == "on"
    listed = world.api.client.get(world.url(site, "plugins"), headers=world.api.admin()).json()
    item = {i["slug"]: i for i in listed["items"]}["bbws-headers"]
    assert item["declared"]["pluginId"] == world.catalog["headers"] and item["inSync"] is True
    assert listed["drift"] == []


def test_bad_requests_are_clear_4xx(world: World) -> None:
    api, site, admin = world.api, world.site(), world.api.admin()
    post = world.url(site, "plugins")
    for body in (
        {},
        {"pluginId": world.catalog["headers"], "slug": "bbws-headers"},
        {"slug": "../etc"},
        {"pluginId": world.catalog["headers"], "version": "1.0"},
        {"slug": "bbws-hello", "kind": "widget"},
    ):
        assert api.client.post(post, json=body, headers=admin).status_code == 400, body
    missing = api.client.post(post, json={"slug": "bbws-nowhere"}, headers=admin)
    assert missing.status_code == 404 and missing.json()["code"] == "PLUG_001"
    not_there = world.change("PUT", site, "plugins/bbws-headers/status", {"active": True})  # only WordPress knows
    assert not_there["status"] == "FAILED" and not_there["error"]["code"] == "PLUG_001", not_there
    assert (
        api.client.put(
            world.url(site, "plugins/bbws-headers/config"), json={"options": {"Bad Name": 1}}, headers=admin
        ).status_code
        == 400
    )
    stale = api.client.post(post, json={"slug": "bbws-headers"}, headers={**admin, "If-Match": '"999"'})
    assert stale.status_code == 412
    current = api.client.get(post, headers=admin).headers["etag"]
    assert current == f'"{world.record(site)["version"]}"'
    store = api.container.store
    store.put({**world.record(site), "pendingOperationId": "op_busy"})
    busy = api.client.post(post, json={"slug": "bbws-headers"}, headers=admin)
    assert busy.status_code == 409 and busy.json()["code"] == "OPERATION_IN_PROGRESS"
    store.put({**world.record(site), "pendingOperationId": None, "status": "SUSPENDED"})
    suspended = api.client.post(post, json={"slug": "bbws-headers"}, headers=admin)
    assert suspended.status_code == 422 and suspended.json()["code"] == "SITE_005"
    assert "bbws-headers" not in world.plugins(site)


def test_drift_behind_the_platforms_back_shows_in_site_and_tenant_reports(world: World) -> None:
    api, site, admin = world.api, world.site(), world.api.admin()
    assert world.change("POST", site, "plugins", {"slug": "bbws-headers"})["status"] == "COMPLETED"
    clean = world.site()
    world.admin(site, "deactivate-plugin", {"plugin": "bbws-headers"})
    world.admin(site, "activate-plugin", {"plugin": "akismet"})

    drift = api.client.get(world.url(site, "drift"), headers=admin).json()
    assert drift["inSync"] is False
    assert {(d["slug"], d["issue"]) for d in drift["drift"]} == {
        ("bbws-headers", "inactive"),
        ("akismet", "unexpected"),
    }
    listed = {i["slug"]: i for i in api.client.get(world.url(site, "plugins"), headers=admin).json()["items"]}
    assert listed["bbws-headers"]["inSync"] is False and listed["bbws-headers"]["actual"]["active"] is False

    report = api.client.get(f"/v1.0/tenants/{world.tenant_id}/drift", headers=admin)
    assert report.status_code == 200, report.text
    rows = {r["siteId"]: r for r in report.json()["items"]}
    assert rows[site["siteId"]]["inSync"] is False and len(rows[site["siteId"]]["drift"]) == 2
    assert rows[clean["siteId"]]["inSync"] is True and rows[clean["siteId"]]["drift"] == []

    # setting the state through the platform ends the drift
    assert world.change("PUT", site, "plugins/bbws-headers/status", {"active": True})["status"] == "COMPLETED"
    assert world.change("PUT", site, "plugins/akismet/status", {"active": False})["status"] == "COMPLETED"
    assert api.client.get(world.url(site, "drift"), headers=admin).json()["drift"] == []


def test_another_tenant_sees_nothing_and_a_viewer_cannot_change(world: World) -> None:
    api, site = world.api, world.site()
    other = api.create_tenant()
    stranger = api.member(other["tenantId"], "ADMIN")
    viewer = api.member(world.tenant_id, "VIEWER")
    operator = api.member(world.tenant_id, "OPERATOR")
    slug = "plugins/bbws-hello"
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", world.url(site, "plugins"), None),
        ("GET", world.url(site, slug), None),
        ("GET", world.url(site, "drift"), None),
        ("POST", world.url(site, "plugins"), {"slug": "bbws-hello"}),
        ("PUT", world.url(site, slug + "/status"), {"active": False}),
        ("PUT", world.url(site, slug + "/config"), {"options": {"bbws_hello_greeting": "x"}}),
        ("PUT", world.url(site, slug + "/update"), {}),
        ("DELETE", world.url(site, slug), None),
        ("GET", f"/v1.0/tenants/{world.tenant_id}/drift", None),
    ]
    for method, url, body in calls:
        answer = api.client.request(method, url, json=body, headers=stranger)
        assert answer.status_code == 404, (method, url, answer.text)
        if method != "GET":
            denied = api.client.request(method, url, json=body, headers=viewer)
            assert denied.status_code == 403, (method, url, denied.text)
    assert api.client.get(world.url(site, "plugins"), headers=viewer).status_code == 200
    assert api.client.get(f"/v1.0/tenants/{world.tenant_id}/drift", headers=viewer).status_code == 200
    made = world.change("POST", site, "plugins", {"slug": "bbws-hello", "activate": False}, headers=operator)
    assert made["status"] == "COMPLETED" and made["result"]["plugin"]["actual"] == {"version": "1.1.0", "active": False}
