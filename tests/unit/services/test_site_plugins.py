"""A site's plugins and themes on the service functions: the checks made before anything is queued, what the job
declares once WordPress did it, failures that leave the record as it was, drift, and whose sites a report reads."""

from __future__ import annotations

from typing import Any

import pytest

from bbws.core.errors import ApiError
from bbws.plugins.catalog import update_entry
from bbws.sites.models import SiteAction, SiteStatus
from bbws.sites.plugins import requests, rules
from bbws.sites.plugins import service as plugins
from bbws.sites.service import request_action
from tests.support import packages
from tests.unit.services.conftest import Services


def code_of(call: Any, **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(ApiError) as caught:
        call(**kwargs)
    return caught.value.status, caught.value.code


def ran(svc: Services, operation: dict[str, Any]) -> dict[str, Any]:
    """The operation once its job ran."""
    svc.run_jobs()
    return svc.operation(operation["operationId"])


def install(svc: Services, site: dict[str, Any], **body: Any) -> dict[str, Any]:
    body.setdefault("slug", "bbws-hello")
    operation = requests.request_install(container=svc.container, actor=svc.actor, site=svc.fresh(site), body=body)
    return ran(svc, operation)


def wordpress(svc: Services, site: dict[str, Any]) -> dict[str, Any]:
    """The fake WordPress of the site: its plugins, themes and options."""
    return svc.driver.sites[(site["tenantId"], site["environment"], site["key"])]


@pytest.fixture
def site(svc: Services) -> dict[str, Any]:
    return svc.site(svc.tenant("dev"))


# -- install -------------------------------------------------------------------------------------------------------
def test_an_installed_catalog_plugin_is_declared_once_wordpress_has_it(svc: Services, site: Any) -> None:
    entry = svc.plugin(version="1.0.0")
    operation = requests.request_install(
        container=svc.container, actor=svc.actor, site=site, body={"slug": "bbws-hello"}
    )
    assert svc.fresh(site)["declared"]["plugins"] == {}  # nothing is declared before WordPress did it
    assert ran(svc, operation)["status"] == "COMPLETED"
    declared = svc.fresh(site)["declared"]["plugins"]["bbws-hello"]
    assert (declared["pluginId"], declared["version"], declared["active"]) == (entry["pluginId"], "1.0.0", True)
    assert wordpress(svc, site)["plugins"]["bbws-hello"] == {"version": "1.0.0", "active": True}
    assert plugins.site_drift(container=svc.container, site=svc.fresh(site)) == []


def test_installing_the_version_already_installed_fails_and_changes_nothing(svc: Services, site: Any) -> None:
    svc.plugin(version="1.0.0")
    install(svc, site)
    before = svc.fresh(site)
    again = install(svc, site)
    assert again["status"] == "FAILED" and again["error"]["code"] == "PLUG_004"
    after = svc.fresh(site)
    assert (after["status"], after["declared"], after["pendingOperationId"]) == ("ACTIVE", before["declared"], None)


def test_a_failure_in_wordpress_leaves_the_declared_state_and_no_leftover(svc: Services, site: Any) -> None:
    svc.plugin(version="1.0.0")
    svc.driver.fail_next["install_package"] = "disk full in /srv/data/wp-content/plugins"
    failed = install(svc, site)
    assert failed["status"] == "FAILED" and failed["error"]["code"] == "WP_001"
    assert "/srv/data" not in failed["error"]["detail"]  # where the runtime keeps sites is not told
    assert svc.fresh(site)["declared"]["plugins"] == {} and "bbws-hello" not in wordpress(svc, site)["plugins"]


@pytest.mark.parametrize(
    ("flags", "code"),
    [({"blocklisted": True}, "PLUG_002"), ({"vulnerabilities": [{"id": "CVE-1", "summary": "x"}]}, "PLUG_003")],
)
def test_a_refused_catalog_entry_is_not_even_queued(
    svc: Services, site: Any, flags: dict[str, Any], code: str
) -> None:
    entry = svc.plugin(version="1.0.0")
    update_entry(store=svc.store, clock=svc.clock, actor=svc.actor, entry=entry, **flags)
    body = {"pluginId": entry["pluginId"]}
    assert code_of(requests.request_install, container=svc.container, actor=svc.actor, site=site, body=body) == (
        422,
        code,
    )
    assert svc.fresh(site)["version"] == site["version"]


def test_a_plugin_needing_a_newer_wordpress_is_not_queued(svc: Services, site: Any) -> None:
    svc.plugin(version="1.1.0", requires_wp="6.2")  # the fake runtime serves WordPress 6.1.9
    assert code_of(
        requests.request_install, container=svc.container, actor=svc.actor, site=site, body={"slug": "bbws-hello"}
    ) == (422, "PLUGIN_INCOMPATIBLE")


def test_plugins_change_only_on_an_active_site_that_no_operation_holds(svc: Services, site: Any) -> None:
    svc.plugin(version="1.0.0")
    request_action(store=svc.store, clock=svc.clock, actor=svc.actor, site=site, action=SiteAction.SUSPEND)
    busy = svc.fresh(site)
    kwargs = {"container": svc.container, "actor": svc.actor, "body": {"slug": "bbws-hello"}}
    assert code_of(requests.request_install, site=busy, **kwargs) == (409, "OPERATION_IN_PROGRESS")
    svc.run_jobs()
    suspended = svc.fresh(site)
    assert suspended["status"] == SiteStatus.SUSPENDED
    assert code_of(requests.request_install, site=suspended, **kwargs) == (422, "SITE_005")


# -- status, configuration, update, removal ----------------------------------------------------------------------
def test_activating_a_plugin_wordpress_ships_declares_it_from_then_on(svc: Services, site: Any) -> None:
    operation = requests.request_status(
        container=svc.container, actor=svc.actor, site=site, kind="plugin", slug="akismet", active=True
    )
    assert ran(svc, operation)["status"] == "COMPLETED"
    declared = svc.fresh(site)["declared"]["plugins"]["akismet"]
    assert (declared["pluginId"], declared["version"], declared["active"]) == (None, None, True)
    assert plugins.site_drift(container=svc.container, site=svc.fresh(site)) == []


def test_a_theme_cannot_be_deactivated(svc: Services, site: Any) -> None:
    assert code_of(
        requests.request_status, container=svc.container, actor=svc.actor, site=site, kind="theme",
        slug="twentytwentythree", active=False,
    ) == (422, "SITE_001")


@pytest.mark.parametrize("option", ["siteurl", "active_plugins", "default_role", "wp_user_roles", "theme_mods_other"])
def test_a_configuration_may_not_write_wordpress_own_options(svc: Services, site: Any, option: str) -> None:
    with pytest.raises(ApiError) as caught:
        requests.request_config(
            container=svc.container, actor=svc.actor, site=site, kind="theme", slug="twentytwentythree",
            options={option: "x", "mine": 1},
        )
    assert caught.value.code == "SITE_001" and caught.value.errors == [
        {"field": f"options.{option}", "message": f"{option} is one of WordPress's own options"}
    ]
    assert svc.fresh(site)["version"] == site["version"]


def test_a_theme_may_write_its_own_theme_mods() -> None:
    rules.check_options({"theme_mods_twentytwentythree": {"color": "red"}}, kind="theme", slug="twentytwentythree")


def test_a_configuration_is_kept_as_declared_config_and_null_removes_an_option(svc: Services, site: Any) -> None:
    svc.plugin(version="1.0.0")
    install(svc, site)
    for options in ({"hello_text": "hi", "hello_size": 3}, {"hello_size": None}):
        operation = requests.request_config(
            container=svc.container, actor=svc.actor, site=svc.fresh(site), kind="plugin", slug="bbws-hello",
            options=options,
        )
        assert ran(svc, operation)["status"] == "COMPLETED"
    assert svc.fresh(site)["declared"]["plugins"]["bbws-hello"]["config"] == {"hello_text": "hi"}
    assert wordpress(svc, site)["options"]["hello_text"] == "hi"


def test_an_update_goes_to_the_newest_catalog_version_and_keeps_the_active_state(svc: Services, site: Any) -> None:
    svc.plugin(version="1.0.0")
    install(svc, site, version="1.0.0", activate=False)
    newest = svc.plugin(version="1.2.0")
    operation = requests.request_update(
        container=svc.container, actor=svc.actor, site=svc.fresh(site), kind="plugin", slug="bbws-hello",
        version=None, plugin_id=None,
    )
    assert ran(svc, operation)["status"] == "COMPLETED"
    declared = svc.fresh(site)["declared"]["plugins"]["bbws-hello"]
    assert (declared["pluginId"], declared["version"], declared["active"]) == (newest["pluginId"], "1.2.0", False)


def test_an_update_naming_another_packages_entry_is_refused(svc: Services, site: Any) -> None:
    theme = svc.upload(packages.theme_zip(svc.root / "theme.zip", slug="bbws-plain"))
    assert code_of(
        requests.request_update, container=svc.container, actor=svc.actor, site=site, kind="plugin",
        slug="bbws-hello", version=None, plugin_id=theme["pluginId"],
    ) == (422, "SITE_001")


def test_the_sites_own_theme_cannot_be_removed(svc: Services, site: Any) -> None:
    assert code_of(
        requests.request_remove, container=svc.container, actor=svc.actor, site=site, kind="theme",
        slug="twentytwentythree",
    ) == (409, "THEME_ACTIVE")
    assert svc.fresh(site)["version"] == site["version"]


def test_the_theme_wordpress_runs_cannot_be_removed_either(svc: Services, site: Any) -> None:
    wordpress(svc, site)["theme"] = "twentytwentytwo"  # switched in wp-admin, not through the platform
    failed = ran(svc, requests.request_remove(
        container=svc.container, actor=svc.actor, site=site, kind="theme", slug="twentytwentytwo"
    ))
    assert (failed["status"], failed["error"]["code"]) == ("FAILED", "THEME_ACTIVE")
    assert "twentytwentytwo" in wordpress(svc, site)["themes"]
    assert (svc.fresh(site)["status"], svc.fresh(site)["pendingOperationId"]) == ("ACTIVE", None)


def test_removing_a_package_neither_installed_nor_declared_is_not_found(svc: Services, site: Any) -> None:
    failed = ran(svc, requests.request_remove(
        container=svc.container, actor=svc.actor, site=site, kind="plugin", slug="never-there"
    ))
    assert (failed["status"], failed["error"]["code"]) == ("FAILED", "PLUG_001")


# -- drift ---------------------------------------------------------------------------------------------------------
def test_a_change_made_outside_the_platform_is_drift(svc: Services, site: Any) -> None:
    svc.plugin(version="1.0.0")
    install(svc, site)
    installed = wordpress(svc, site)["plugins"]
    installed["bbws-hello"]["active"] = False  # someone deactivated it in wp-admin
    installed["rogue"] = {"version": "9", "active": True}
    items, drift = plugins.site_plugins(container=svc.container, site=svc.fresh(site))
    assert {(d["slug"], d["issue"]) for d in drift} == {("bbws-hello", "inactive"), ("rogue", "unexpected")}
    in_sync = {i["slug"]: i["inSync"] for i in items}
    assert in_sync["bbws-hello"] is False and in_sync["rogue"] is False and in_sync["akismet"] is True
    del installed["bbws-hello"]
    assert ("bbws-hello", "missing") in {
        (d["slug"], d["issue"]) for d in plugins.site_drift(container=svc.container, site=svc.fresh(site))
    }


def test_tenant_drift_reads_only_the_tenants_sites_the_caller_may_read(svc: Services) -> None:
    mine, theirs = svc.tenant("dev"), svc.tenant("dev")
    shown, hidden, foreign = svc.site(mine), svc.site(mine), svc.site(theirs)
    for s in (shown, hidden, foreign):
        wordpress(svc, s)["plugins"]["rogue"] = {"version": "1", "active": True}
    report = plugins.tenant_drift(
        container=svc.container, tenant_id=mine["tenantId"], can_read=lambda s: s["siteId"] != hidden["siteId"]
    )
    assert [(r["siteId"], r["inSync"]) for r in report] == [(shown["siteId"], False)]
    assert foreign["siteId"] not in {r["siteId"] for r in report}
