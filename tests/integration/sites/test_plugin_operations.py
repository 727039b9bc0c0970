"""Plugin and theme changes are site operations: 202 + Operation, the site held while WordPress changes (so no
backup, promotion or other change runs beside them), failures settled as they were; over the in-memory runtime."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bbws.core.handlers import JobContext
from bbws.core.queue import Job
from bbws.sites import keys
from bbws.sites.work import HANDLERS
from bbws.tenants import keys as tenant_keys
from tests.integration.sites.conftest import SiteHarness
from tests.support import packages
from tests.support.api import rid

PLUGIN_JOB = "ChangeSitePlugin"


@pytest.fixture
def world(api: SiteHarness, tmp_path: Path) -> tuple[str, dict[str, Any], str]:
    """A tenant with a dev instance, one ACTIVE site, and bbws-hello 1.0.0 in the catalog (its pluginId)."""
    tid = api.tenant_with_instances("dev")
    uploaded = packages.upload(api, packages.fixture_zip("bbws-hello", tmp_path / "zips"))
    assert uploaded.status_code == 201, uploaded.text
    return tid, api.create_site(tid), str(uploaded.json()["pluginId"])


def url(api: SiteHarness, tid: str, site: dict[str, Any], rest: str = "") -> str:
    return f"{api.sites(tid)}/{site['siteId']}/{rest}".rstrip("/")


def record(api: SiteHarness, tid: str, site: dict[str, Any]) -> dict[str, Any]:
    found = api.container.store.get(tenant_keys.tenant_pk(tid), keys.site_sk(site["siteId"]))
    assert found is not None
    return found


def installed(api: SiteHarness, site: dict[str, Any]) -> dict[str, Any]:
    (held,) = [s for s in api.driver.sites.values() if s["path"] == site["subdomain"]]
    return dict(held["plugins"])


def audits(api: SiteHarness, tid: str, site: dict[str, Any], action: str) -> int:
    items = api.container.store.query(tenant_keys.tenant_pk(tid), sk_prefix="AUDIT#", limit=1000).items
    return sum(1 for a in items if a.get("resourceId") == site["siteId"] and a["action"] == action)


def test_an_install_answers_202_holds_the_site_and_declares_the_plugin_when_done(api: SiteHarness, world: Any) -> None:
    tid, site, plugin_id = world
    answer = api.client.post(url(api, tid, site, "plugins"), json={"slug": "bbws-hello"}, headers=api.admin())
    assert answer.status_code == 202, answer.text
    op = answer.json()
    assert op["operationType"] == "SITE_INSTALL_PLUGIN" and op["status"] == "PENDING"
    assert answer.headers["location"].endswith(f"/operations/{op['operationId']}")
    held = record(api, tid, site)
    assert held["pendingOperationId"] == op["operationId"] and held["status"] == "ACTIVE"  # serving meanwhile

    done = api.wait(answer)
    assert done["status"] == "COMPLETED", done
    assert done["result"]["plugin"]["declared"] == {
        "pluginId": plugin_id, "version": "1.0.0", "active": True, "config": {}
    }
    assert installed(api, site)["bbws-hello"] == {"version": "1.0.0", "active": True}
    after = record(api, tid, site)
    assert after["pendingOperationId"] is None and after["status"] == "ACTIVE" and after["lastError"] is None
    assert after["declared"]["plugins"]["bbws-hello"]["pluginId"] == plugin_id
    assert audits(api, tid, site, "site.plugin_installed") == 1
    events = api.client.get(f"/v1.0/operations/{op['operationId']}/events", headers=api.admin())
    assert events.status_code == 200 and "COMPLETED" in events.text, events.text


def test_a_held_site_refuses_backups_and_other_changes_until_the_change_ends(api: SiteHarness, world: Any) -> None:
    tid, site, _ = world
    admin = api.admin()
    first = api.client.post(url(api, tid, site, "plugins"), json={"slug": "bbws-hello"}, headers=admin)
    assert first.status_code == 202, first.text
    for method, rest, body in (
        ("POST", "backup", None),
        ("POST", "plugins", {"slug": "bbws-hello"}),
        ("PUT", "plugins/akismet/status", {"active": True}),
        ("POST", "promote", {"target": "sit"}),
    ):
        busy = api.client.request(method, url(api, tid, site, rest), json=body, headers=admin)
        assert busy.status_code == 409 and busy.json()["code"] == "OPERATION_IN_PROGRESS", (rest, busy.text)
    assert api.wait(first)["status"] == "COMPLETED"

    backup = api.client.post(url(api, tid, site, "backup"), headers=admin)
    assert backup.status_code == 202, backup.text
    for method, rest, body in (
        ("POST", "plugins", {"slug": "bbws-hello"}),
        ("PUT", "plugins/bbws-hello/status", {"active": False}),
        ("PUT", "plugins/bbws-hello/config", {"options": {"bbws_hello_greeting": "x"}}),
        ("PUT", "plugins/bbws-hello/update", {}),
        ("DELETE", "plugins/bbws-hello", None),
    ):
        busy = api.client.request(method, url(api, tid, site, rest), json=body, headers=admin)
        assert busy.status_code == 409 and busy.json()["code"] == "OPERATION_IN_PROGRESS", (rest, busy.text)
    assert api.wait(backup)["status"] == "COMPLETED"
    off = api.wait(api.client.put(url(api, tid, site, "plugins/bbws-hello/status"), json={"active": False},
                                  headers=admin))
    assert off["status"] == "COMPLETED" and installed(api, site)["bbws-hello"]["active"] is False


def test_a_wordpress_failure_ends_the_operation_failed_and_leaves_the_site_as_it_was(
    api: SiteHarness, world: Any
) -> None:
    tid, site, _ = world
    before = record(api, tid, site)
    api.driver.fail_next["install_package"] = "PHP Fatal error in /srv/x/wp-content/plugins/bbws-hello/a.php"
    op = api.wait(api.client.post(url(api, tid, site, "plugins"), json={"slug": "bbws-hello"}, headers=api.admin()))
    assert op["status"] == "FAILED" and op["error"]["code"] == "WP_001", op
    assert "wp-content/plugins/bbws-hello/a.php" in op["error"]["detail"] and "/srv/x" not in op["error"]["detail"]
    after = record(api, tid, site)
    assert after["status"] == "ACTIVE" and after["pendingOperationId"] is None
    assert after["declared"] == before["declared"] and "WP_001" not in after["lastError"]
    assert "WordPress could not do it" in after["lastError"]
    assert "bbws-hello" not in installed(api, site)
    assert audits(api, tid, site, "site.plugin_installed") == 0 and audits(api, tid, site, "site.released") == 1
    again = api.wait(api.client.post(url(api, tid, site, "plugins"), json={"slug": "bbws-hello"}, headers=api.admin()))
    assert again["status"] == "COMPLETED" and record(api, tid, site)["lastError"] is None


def test_what_only_wordpress_knows_fails_the_operation_with_its_code(api: SiteHarness, world: Any) -> None:
    tid, site, _ = world
    admin = api.admin()
    missing = api.wait(api.client.put(url(api, tid, site, "plugins/bbws-nowhere/status"), json={"active": True},
                                      headers=admin))
    assert missing["status"] == "FAILED" and missing["error"]["code"] == "PLUG_001", missing
    assert record(api, tid, site)["pendingOperationId"] is None
    assert api.wait(api.client.post(url(api, tid, site, "plugins"), json={"slug": "bbws-hello"}, headers=admin))[
        "status"
    ] == "COMPLETED"
    twice = api.wait(api.client.post(url(api, tid, site, "plugins"), json={"slug": "bbws-hello"}, headers=admin))
    assert twice["status"] == "FAILED" and twice["error"]["code"] == "PLUG_004", twice
    gone = api.wait(api.client.delete(url(api, tid, site, "plugins/bbws-hello"), headers=admin))
    assert gone["status"] == "COMPLETED" and "bbws-hello" not in installed(api, site)
    assert "bbws-hello" not in record(api, tid, site)["declared"]["plugins"]
    not_there = api.wait(api.client.delete(url(api, tid, site, "plugins/bbws-hello"), headers=admin))
    assert not_there["status"] == "FAILED" and not_there["error"]["code"] == "PLUG_001"
    assert record(api, tid, site)["status"] == "ACTIVE"


def test_a_job_delivered_twice_changes_the_site_once(api: SiteHarness, world: Any) -> None:
    tid, site, plugin_id = world
    answer = api.client.post(
        url(api, tid, site, "plugins"), json={"pluginId": plugin_id, "activate": False}, headers=api.admin()
    )
    op = api.wait(answer)
    assert op["status"] == "COMPLETED"
    after = record(api, tid, site)
    params = {"kind": "plugin", "slug": "bbws-hello", "activate": False, "pluginId": plugin_id}
    job = Job(
        name=PLUGIN_JOB,
        tenant_id=tid,
        operation_id=op["operationId"],
        payload={"siteId": site["siteId"], "action": "install-plugin", "params": params},
    )
    api.container.queue.send([job])
    api.run_jobs()  # the worker sees the finished operation
    running = {**op, "status": "RUNNING"}  # as if the first delivery ended before its Operation was written
    result = HANDLERS[PLUGIN_JOB](job, JobContext(container=api.container, report=lambda *_: None, operation=running))
    assert result is not None and result["siteId"] == site["siteId"]
    assert record(api, tid, site)["version"] == after["version"]
    assert audits(api, tid, site, "site.plugin_installed") == 1
    assert [c for c in api.driver.calls if c[0] == "install_package"] == [("install_package", tid, "dev")]


def test_checks_without_wordpress_answer_at_once_and_change_nothing(api: SiteHarness, world: Any) -> None:
    tid, site, _ = world
    admin = api.admin()
    for method, rest, body, status, code in (
        ("POST", "plugins", {"slug": "bbws-nowhere"}, 404, "PLUG_001"),
        ("PUT", "plugins/akismet/config", {"options": {"siteurl": "http://x.example"}}, 422, "SITE_001"),
        ("PUT", "plugins/twentytwentythree/status?kind=theme", {"active": False}, 422, "SITE_001"),
        ("PUT", "plugins/bbws-hello/update", {"version": "9.9.9"}, 404, "PLUG_001"),
    ):
        answer = api.client.request(method, url(api, tid, site, rest), json=body, headers=admin)
        assert answer.status_code == status and answer.json()["code"] == code, (rest, answer.text)
    stale = api.client.post(
        url(api, tid, site, "plugins"), json={"slug": "bbws-hello"}, headers={**admin, "If-Match": '"999"'}
    )
    assert stale.status_code == 412, stale.text
    assert record(api, tid, site)["version"] == site["version"]
    suspended = api.wait(api.client.put(url(api, tid, site, "status"), json={"action": "suspend"}, headers=admin))
    assert suspended["status"] == "COMPLETED"
    refused = api.client.post(url(api, tid, site, "plugins"), json={"slug": "bbws-hello"}, headers=admin)
    assert refused.status_code == 422 and refused.json()["code"] == "SITE_005", refused.text


def test_the_same_idempotency_key_starts_one_install(api: SiteHarness, world: Any) -> None:
    tid, site, _ = world
    headers = {**api.admin(), "Idempotency-Key": rid("key")}
    first = api.client.post(url(api, tid, site, "plugins"), json={"slug": "bbws-hello"}, headers=headers)
    again = api.client.post(url(api, tid, site, "plugins"), json={"slug": "bbws-hello"}, headers=headers)
    assert first.status_code == again.status_code == 202, again.text
    assert first.json()["operationId"] == again.json()["operationId"]


def test_a_viewer_or_another_tenant_cannot_start_plugin_changes(api: SiteHarness, world: Any) -> None:
    tid, site, _ = world
    other = api.create_tenant()
    api.run_jobs()
    stranger, viewer = api.member(other["tenantId"], "ADMIN"), api.member(tid, "VIEWER")
    operator = api.member(tid, "OPERATOR")
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", "plugins", {"slug": "bbws-hello"}),
        ("PUT", "plugins/akismet/status", {"active": True}),
        ("PUT", "plugins/akismet/config", {"options": {"akismet_x": 1}}),
        ("PUT", "plugins/bbws-hello/update", {}),
        ("DELETE", "plugins/akismet", None),
    ]
    for method, rest, body in calls:
        hidden = api.client.request(method, url(api, tid, site, rest), json=body, headers=stranger)
        assert hidden.status_code == 404, (rest, hidden.text)
        denied = api.client.request(method, url(api, tid, site, rest), json=body, headers=viewer)
        assert denied.status_code == 403, (rest, denied.text)
    assert record(api, tid, site)["version"] == site["version"]
    assert api.client.get(url(api, tid, site, "plugins"), headers=viewer).status_code == 200
    made = api.client.post(url(api, tid, site, "plugins"), json={"slug": "bbws-hello"}, headers=operator)
    assert made.status_code == 202, made.text
    assert api.wait(made)["status"] == "COMPLETED"
