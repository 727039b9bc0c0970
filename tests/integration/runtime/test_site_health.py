"""Health checks of real WordPress sites on the local runtime: healthy, in maintenance, broken by a plugin,
drifting from what is declared, with its database refused, and with its instance stopped."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bbws.core.clock import ManualClock, iso
from bbws.core.driver import InstanceSpec, SiteInfo
from bbws.sites.health import EXPECTED_CRITICAL_TESTS, check_site
from tests.integration.runtime.helpers import Runtime, make_site
from tests.support.debian_packages import debian_plugin_folder

BROKEN_LOGIN_PACKAGE = "wordpress-plugin-http-authentication"  # from 2011: wp-login.php dies with a 500
DEFAULT_THEME = "twentytwentythree"


def key_of(site: SiteInfo) -> str:
    return site.database_user.removeprefix("wp_")


def declared(theme: str | None = DEFAULT_THEME, **plugins: bool) -> dict[str, Any]:
    return {
        "plugins": {
            slug: {"pluginId": f"plg_{slug}", "version": None, "active": active, "config": {}}
            for slug, active in plugins.items()
        },
        "theme": theme,
    }


def check(
    runtime: Runtime,
    spec: InstanceSpec,
    site: SiteInfo,
    want: dict[str, Any] | None = None,
    clock: ManualClock | None = None,
) -> dict[str, Any]:
    return check_site(
        driver=runtime.driver,
        spec=spec,
        key=key_of(site),
        url=site.url,
        declared=declared() if want is None else want,
        clock=clock or ManualClock(),
    )


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["status"] for c in report["checks"]}


def failing(report: dict[str, Any]) -> set[str]:
    return {name for name, status in statuses(report).items() if status == "fail"}


@pytest.fixture
def broken_login_plugin(runtime: Runtime, served: tuple[InstanceSpec, SiteInfo]) -> Iterator[str]:
    """Debian's http-authentication plugin copied (not activated) into the served site; removed afterwards."""
    spec, site = served
    source = debian_plugin_folder(BROKEN_LOGIN_PACKAGE)
    target = Path(site.files_path) / "wp-content" / "plugins" / source.name
    shutil.copytree(source, target)
    yield source.name
    runtime.driver.run_admin(spec, key_of(site), "deactivate-plugin", {"plugin": source.name})
    shutil.rmtree(target)


def test_a_fresh_site_is_healthy_with_its_versions_and_site_health(
    runtime: Runtime, served: tuple[InstanceSpec, SiteInfo]
) -> None:
    spec, site = served
    clock = ManualClock()
    report = check(runtime, spec, site, clock=clock)
    assert report["healthStatus"] == "HEALTHY", report["checks"]
    assert report["checkedAt"] == iso(clock.now())
    assert list(statuses(report)) == ["frontPage", "restApi", "loginPage", "database", "siteHealth", "drift"]
    assert set(statuses(report).values()) == {"pass"}
    pages = report["checks"][:3]
    assert [p["httpStatus"] for p in pages] == [200, 200, 200]
    assert all(isinstance(p["latencyMs"], int) and p["latencyMs"] >= 0 for p in pages)
    assert report["versions"]["wordpress"] == spec.wordpress_version
    assert report["versions"]["php"].startswith(spec.php_version) and "MariaDB" in report["versions"]["database"]
    tests = {t["test"]: t["status"] for t in report["siteHealth"]["tests"]}
    assert tests["sql_server"] == "good" and report["siteHealth"]["counts"]["good"] >= 1
    # Outbound HTTP is blocked on purpose: WordPress says so, the report shows it, the site stays HEALTHY.
    assert tests["http_requests"] == "critical" and "http_requests" in EXPECTED_CRITICAL_TESTS
    assert {name for name, status in tests.items() if status == "critical"} <= EXPECTED_CRITICAL_TESTS
    assert report["drift"] == []


def test_a_site_in_maintenance_is_unhealthy_and_healthy_again_after(
    runtime: Runtime, served: tuple[InstanceSpec, SiteInfo]
) -> None:
    spec, site = served
    runtime.driver.set_site_maintenance(spec, key_of(site), True)
    try:
        report = check(runtime, spec, site)
    finally:
        runtime.driver.set_site_maintenance(spec, key_of(site), False)
    assert report["healthStatus"] == "UNHEALTHY"
    assert failing(report) == {"frontPage", "restApi", "loginPage"}
    assert report["checks"][0]["httpStatus"] == 503 and "503" in report["checks"][0]["detail"]
    assert check(runtime, spec, site)["healthStatus"] == "HEALTHY"


def test_debians_http_authentication_plugin_breaks_the_login_page(
    runtime: Runtime, served: tuple[InstanceSpec, SiteInfo], broken_login_plugin: str
) -> None:
    spec, site = served
    slug = broken_login_plugin
    assert runtime.driver.run_admin(spec, key_of(site), "activate-plugin", {"plugin": slug})["active"] is True
    report = check(runtime, spec, site, declared(**{slug: True}))
    assert report["healthStatus"] == "UNHEALTHY"
    assert failing(report) == {"loginPage"}, report["checks"]
    assert report["checks"][2]["httpStatus"] == 500
    assert [c["httpStatus"] for c in report["checks"][:2]] == [200, 200]  # the rest of the site still answers

    runtime.driver.run_admin(spec, key_of(site), "deactivate-plugin", {"plugin": slug})
    repaired = check(runtime, spec, site)  # installed but inactive and undeclared: not drift
    assert repaired["healthStatus"] == "HEALTHY", repaired["checks"]


def test_an_undeclared_active_plugin_is_drift_and_the_site_degraded(
    runtime: Runtime, served: tuple[InstanceSpec, SiteInfo]
) -> None:
    spec, site = served
    runtime.driver.run_admin(spec, key_of(site), "activate-plugin", {"plugin": "akismet"})
    try:
        drifting = check(runtime, spec, site)
        as_declared = check(runtime, spec, site, declared(akismet=True))
        other_theme = check(runtime, spec, site, declared("twentytwentyone", akismet=True))
    finally:
        runtime.driver.run_admin(spec, key_of(site), "deactivate-plugin", {"plugin": "akismet"})
    assert drifting["healthStatus"] == "DEGRADED"
    assert statuses(drifting)["drift"] == "warn" and "akismet" in drifting["checks"][-1]["detail"]
    [item] = drifting["drift"]
    assert (item["kind"], item["slug"], item["issue"], item["declared"]) == ("plugin", "akismet", "unexpected", None)
    assert item["actual"]["active"] is True and item["actual"]["version"]
    assert as_declared["healthStatus"] == "HEALTHY" and as_declared["drift"] == []
    assert other_theme["healthStatus"] == "DEGRADED"
    assert [(d["issue"], d["declared"], d["actual"]) for d in other_theme["drift"]] == [
        ("theme", "twentytwentyone", DEFAULT_THEME)
    ]


def test_a_refused_database_is_unhealthy_with_the_reason(
    runtime: Runtime, fresh_instance: Callable[..., InstanceSpec]
) -> None:
    spec = fresh_instance()
    site = runtime.driver.install_site(spec, make_site())
    runtime.root_sql(f"ALTER USER `{site.database_user}`@`localhost` ACCOUNT LOCK")
    try:
        report = check(runtime, spec, site)
    finally:
        runtime.root_sql(f"ALTER USER `{site.database_user}`@`localhost` ACCOUNT UNLOCK")
    assert report["healthStatus"] == "UNHEALTHY"
    assert failing(report) == set(statuses(report))  # the pages are WordPress's database error (500)
    assert [c["httpStatus"] for c in report["checks"][:3]] == [500, 500, 500]
    database = report["checks"][3]
    assert database["name"] == "database" and "Error establishing a database connection" in database["detail"]
    assert len(database["detail"]) < 400 and "{" not in database["detail"]  # the message, not the page's styles
    assert report["versions"] == {"wordpress": None, "php": None, "database": None}
    assert check(runtime, spec, site)["healthStatus"] == "HEALTHY"


def test_a_stopped_instance_is_unhealthy_without_an_exception(
    runtime: Runtime, fresh_instance: Callable[..., InstanceSpec]
) -> None:
    spec = fresh_instance()
    site = runtime.driver.install_site(spec, make_site())
    runtime.driver.stop(spec)
    report = check(runtime, spec, site)
    assert report["healthStatus"] == "UNHEALTHY"
    assert {"frontPage", "restApi", "loginPage"} <= failing(report)
    assert all(c["httpStatus"] is None and "no answer" in c["detail"] for c in report["checks"][:3])
    runtime.driver.start(spec)
    assert check(runtime, spec, site)["healthStatus"] == "HEALTHY"
