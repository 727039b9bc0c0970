"""Promotion DEV -> SIT -> PROD on the service functions: the order, the checks before it (readiness), the SIT ->
PROD health lookback, what a promotion writes, its job's outcome, and rollback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bbws.core.errors import ApiError, Forbidden
from bbws.instances.service import spec_of
from bbws.sites import backups, promotion, readiness, requests, service
from bbws.sites.models import SiteAction, SiteStatus
from bbws.sites.records import instance_of
from tests.unit.services.conftest import Services


def assess(svc: Services, tenant: dict[str, Any], source: dict[str, Any], target_env: str) -> readiness.Readiness:
    return readiness.assess(
        store=svc.store, settings=svc.settings, now=svc.clock.now(), tenant=tenant, source=source, target_env=target_env
    )


def codes(ready: readiness.Readiness) -> list[str]:
    return [error.code for error in ready.blockers]


def rollback(svc: Services, source: dict[str, Any], item: dict[str, Any], role: str = "ADMIN") -> dict[str, Any]:
    """A rollback asked for by a platform user holding `role`."""
    return promotion.request_rollback(
        store=svc.store, clock=svc.clock, actor=svc.actor, authz=svc.authz(role), source=source,
        promotion_id=item["promotionId"],
    )


# -- the order -------------------------------------------------------------------------------------------------
def test_a_site_cannot_be_promoted_from_prod(svc: Services) -> None:
    tenant = svc.tenant("prod")
    ready = assess(svc, tenant, svc.site(tenant, "prod"), "prod")
    assert codes(ready) == ["SITE_006"] and not ready.ordered


@pytest.mark.parametrize(("source_env", "target_env"), [("dev", "prod"), ("sit", "dev"), ("dev", "dev")])
def test_a_site_goes_to_the_next_environment_only(svc: Services, source_env: str, target_env: str) -> None:
    tenant = svc.tenant(source_env)
    ready = assess(svc, tenant, svc.site(tenant, source_env), target_env)
    assert codes(ready) == ["SITE_006"] and ready.target is None and ready.instance is None
    assert ready.blockers[0].extra == {"sourceEnvironment": source_env, "targetEnvironment": target_env}


# -- what blocks it ----------------------------------------------------------------------------------------------
def test_a_promotion_into_an_environment_without_an_instance_is_blocked(svc: Services) -> None:
    tenant = svc.tenant("dev")
    ready = assess(svc, tenant, svc.site(tenant), "sit")
    assert codes(ready) == ["INSTANCE_NOT_FOUND"] and ready.instance is None


def test_the_blockers_are_listed_in_the_order_the_request_checks_them(svc: Services) -> None:
    tenant = svc.tenant("dev")
    source = svc.site(tenant)
    service.request_action(store=svc.store, clock=svc.clock, actor=svc.actor, site=source, action=SiteAction.UPDATE)
    ready = assess(svc, tenant, svc.fresh(source), "sit")
    assert codes(ready) == ["OPERATION_IN_PROGRESS", "SITE_005", "INSTANCE_NOT_FOUND"]
    with pytest.raises(ApiError) as caught:
        ready.raise_first()
    assert caught.value.code == "OPERATION_IN_PROGRESS"


def test_the_quota_of_the_target_environment_blocks_a_new_target(svc: Services) -> None:
    tenant = svc.tenant("dev", "sit")
    source = svc.site(tenant)
    for _ in range(5):
        svc.request_site(tenant, "sit")
    assert codes(assess(svc, tenant, source, "sit")) == ["SITE_004"]


def test_a_subdomain_of_another_lineage_in_the_target_environment_blocks_promotion(svc: Services) -> None:
    tenant = svc.tenant("dev", "sit")
    source = svc.site(tenant)
    svc.site(tenant, "sit", subdomain=source["subdomain"])  # made on its own, not promoted
    ready = assess(svc, tenant, source, "sit")
    assert codes(ready) == ["SITE_003"] and ready.target is None


def test_another_tenants_site_in_the_target_environment_is_never_taken_as_the_target(svc: Services) -> None:
    mine, theirs = svc.tenant("dev", "sit"), svc.tenant("sit")
    source = svc.site(mine)
    svc.site(theirs, "sit", subdomain=source["subdomain"])
    ready = assess(svc, mine, source, "sit")
    assert codes(ready) == ["SITE_003"] and ready.target is None
    with pytest.raises(ApiError) as caught:
        svc.promote(source, "sit")
    assert caught.value.code == "SITE_003"


def test_dev_to_sit_does_not_read_the_health_lookback(svc: Services) -> None:
    tenant = svc.tenant("dev", "sit")
    ready = assess(svc, tenant, svc.site(tenant), "sit")
    assert ready.blockers == [] and ready.gate == readiness.NO_GATE and ready.instance is not None


# -- what it writes and how its job ends -----------------------------------------------------------------------------
def test_a_first_promotion_makes_the_target_in_the_sources_lineage(svc: Services) -> None:
    tenant = svc.tenant("dev", "sit")
    source = svc.site(tenant)
    operation = svc.promote(source, "sit")
    [item] = promotion.list_promotions(store=svc.store, source=source, limit=5).items
    target = svc.reread(item["targetSiteId"], tenant["tenantId"])
    assert (item["status"], item["targetCreated"], item["preBackupId"]) == ("IN_PROGRESS", True, None)
    assert item["plan"]["files"]["added"] == 1  # what the new target gets, read before anything was changed
    assert (target["status"], target["lineageId"], target["promotedFrom"]) == (
        "PROVISIONING",
        source["lineageId"],
        source["siteId"],
    )
    assert svc.fresh(source)["status"] == SiteStatus.PROMOTING
    assert target["pendingOperationId"] == svc.fresh(source)["pendingOperationId"] == operation["operationId"]
    svc.run_jobs()
    done = promotion.get_promotion(store=svc.store, source=source, promotion_id=item["promotionId"])
    assert done["status"] == "COMPLETED"
    assert svc.fresh(target)["status"] == svc.fresh(source)["status"] == SiteStatus.ACTIVE


def test_a_later_promotion_backs_the_existing_target_up_first(svc: Services) -> None:
    tenant = svc.tenant("dev", "sit")
    source = svc.site(tenant)
    first = svc.promoted(source, "sit")
    ready = assess(svc, tenant, svc.fresh(source), "sit")
    assert ready.target is not None and ready.target["siteId"] == first["targetSiteId"]
    svc.promote(svc.fresh(source), "sit")
    second = promotion.list_promotions(store=svc.store, source=source, limit=1).items[0]
    assert second["targetCreated"] is False and second["preBackupId"]
    backup = backups.get_backup(store=svc.store, site=ready.target, backup_id=second["preBackupId"])
    assert (backup["reason"], backup["pinned"], backup["status"]) == ("pre-promotion", True, "PENDING")


def test_a_new_target_failing_its_health_check_is_removed_and_the_promotion_rolled_back(svc: Services) -> None:
    tenant = svc.tenant("dev", "sit")
    source = svc.site(tenant)
    svc.promote(source, "sit")
    item = promotion.list_promotions(store=svc.store, source=source, limit=1).items[0]
    svc.driver.unhealthy.add(item["targetSiteId"])  # a site's key is its id
    svc.run_jobs()
    ended = promotion.get_promotion(store=svc.store, source=source, promotion_id=item["promotionId"])
    assert ended["status"] == "ROLLED_BACK" and "health check" in ended["error"]
    assert svc.reread(item["targetSiteId"], tenant["tenantId"])["status"] == SiteStatus.DELETED
    assert svc.fresh(source)["status"] == SiteStatus.ACTIVE
    assert service.subdomain_owner(svc.store, "sit", source["subdomain"]) is None


def test_a_promotion_is_found_under_its_own_source_only(svc: Services) -> None:
    mine, theirs = svc.tenant("dev", "sit"), svc.tenant("dev")
    source, sibling, foreign = svc.site(mine), svc.site(mine), svc.site(theirs)
    item = svc.promoted(source, "sit")
    for other in (sibling, foreign):
        assert promotion.list_promotions(store=svc.store, source=other, limit=10).items == []
        with pytest.raises(ApiError) as caught:
            promotion.get_promotion(store=svc.store, source=other, promotion_id=item["promotionId"])
        assert (caught.value.status, caught.value.code) == (404, "PROMOTION_NOT_FOUND")


# -- the SIT -> PROD lookback ------------------------------------------------------------------------------------------
@pytest.fixture
def short_lookback(tmp_path: Path) -> Services:
    return Services(tmp_path, health_lookback_hours=1, health_interval_seconds=600)


def watch(svc: Services, site: dict[str, Any], *, minutes: int, every: int = 10) -> None:
    """Check the site's health now and every `every` minutes for `minutes`, as the periodic sweep would."""
    for step in range(0, minutes + 1, every):
        if step:
            svc.clock.advance(minutes=every)
        requests.check_now(container=svc.container, driver=svc.driver, actor=svc.actor, site=svc.fresh(site))


def test_sit_to_prod_needs_health_recorded_for_the_whole_lookback(short_lookback: Services) -> None:
    svc = short_lookback
    tenant = svc.tenant("sit", "prod")
    source = svc.site(tenant, "sit")
    watch(svc, source, minutes=30)
    ready = assess(svc, tenant, svc.fresh(source), "prod")
    assert codes(ready) == ["HEALTH_GATE_FAILED"] and "recorded only since" in ready.gate["detail"]
    watch(svc, source, minutes=40)
    ready = assess(svc, tenant, svc.fresh(source), "prod")
    assert ready.blockers == [] and ready.gate["passed"] and ready.gate["required"]


def test_one_unhealthy_check_in_the_lookback_blocks_prod(short_lookback: Services) -> None:
    svc = short_lookback
    tenant = svc.tenant("sit", "prod")
    source = svc.site(tenant, "sit")
    watch(svc, source, minutes=60)
    svc.clock.advance(minutes=5)
    svc.driver.unhealthy.add(source["key"])
    watch(svc, source, minutes=0)
    svc.driver.unhealthy.clear()
    svc.clock.advance(minutes=5)
    watch(svc, source, minutes=20)
    ready = assess(svc, tenant, svc.fresh(source), "prod")
    assert codes(ready) == ["HEALTH_GATE_FAILED"] and len(ready.gate["unhealthyAt"]) == 1
    svc.clock.advance(minutes=50)  # the bad check leaves the window only with checks after it
    watch(svc, source, minutes=0)
    assert "no health check between" in assess(svc, tenant, svc.fresh(source), "prod").gate["detail"]


# -- rollback --------------------------------------------------------------------------------------------------------
def test_only_a_completed_promotion_can_be_rolled_back(svc: Services) -> None:
    tenant = svc.tenant("dev", "sit")
    source = svc.site(tenant)
    svc.promote(source, "sit")
    item = promotion.list_promotions(store=svc.store, source=source, limit=1).items[0]
    with pytest.raises(ApiError) as caught:
        rollback(svc, source, item)
    assert (caught.value.status, caught.value.code) == (409, "PROMOTION_NOT_ROLLBACKABLE")


def test_a_rollback_takes_the_role_that_promotes_to_the_target_environment(svc: Services) -> None:
    tenant = svc.tenant("dev", "sit")
    source = svc.site(tenant)
    item = svc.promoted(source, "sit")
    target = svc.reread(item["targetSiteId"], tenant["tenantId"])
    with pytest.raises(Forbidden):
        rollback(svc, source, item, role="VIEWER")
    assert svc.fresh(target)["version"] == target["version"]  # nothing was asked of the target
    operation = rollback(svc, source, item, role="OPERATOR")  # platform operators promote to SIT
    assert operation["resourceId"] == target["siteId"]


def test_rolling_back_a_promotion_that_made_the_target_removes_it(svc: Services) -> None:
    tenant = svc.tenant("dev", "sit")
    source = svc.site(tenant)
    item = svc.promoted(source, "sit")
    operation = rollback(svc, source, item)
    assert (operation["operationType"], operation["resourceId"]) == ("SITE_DELETE", item["targetSiteId"])
    svc.run_jobs()
    assert svc.reread(item["targetSiteId"], tenant["tenantId"])["status"] == SiteStatus.DELETED
    ended = promotion.get_promotion(store=svc.store, source=source, promotion_id=item["promotionId"])
    assert ended["status"] == "ROLLED_BACK" and ended["rolledBackBy"] == svc.actor.sub


def test_rolling_back_onto_an_existing_target_restores_its_pre_promotion_backup(svc: Services) -> None:
    tenant = svc.tenant("dev", "sit")
    source = svc.site(tenant)
    svc.promoted(source, "sit")
    second = svc.promoted(source, "sit")
    operation = rollback(svc, source, second)
    assert operation["operationType"] == "SITE_RESTORE"
    svc.run_jobs()
    assert svc.operation(operation["operationId"])["status"] == "COMPLETED"
    assert svc.reread(second["targetSiteId"], tenant["tenantId"])["status"] == SiteStatus.ACTIVE
    ended = promotion.get_promotion(store=svc.store, source=source, promotion_id=second["promotionId"])
    assert ended["status"] == "ROLLED_BACK"


# -- the plan --------------------------------------------------------------------------------------------------------
def test_the_plan_reads_both_sites_and_changes_nothing(svc: Services) -> None:
    tenant = svc.tenant("dev", "sit")
    source = svc.site(tenant)
    item = svc.promoted(source, "sit")
    target = svc.reread(item["targetSiteId"], tenant["tenantId"])
    svc.driver.sites[(tenant["tenantId"], "dev", source["key"])]["posts"] += 3
    svc.driver.calls.clear()
    spec = {env: spec_of(instance_of(svc.store, tenant["tenantId"], env) or {}) for env in ("dev", "sit")}
    plan = promotion.plan(
        driver=svc.driver, source=svc.fresh(source), source_spec=spec["dev"], target=target, target_spec=spec["sit"]
    )
    calls = [c[0] for c in svc.driver.calls]
    assert calls.count("admin:inventory") == 2 and set(calls) <= {"admin:inventory", "admin:plugins"}  # reads only
    posts = next(t for t in plan["tables"] if t["table"] == "wp_posts")
    assert posts["changed"] and posts["sourceRows"] == posts["targetRows"] + 3
    assert plan["files"]["changed"] == 1 and plan["plugins"] == [] and plan["theme"] is None


def test_the_plan_of_a_new_target_adds_everything_and_names_each_plugin_change() -> None:
    source = {
        "tables": [{"name": "wp_posts", "rows": 2, "checksum": "a"}],
        "files": {"uploads/a.jpg": "1"},
        "plugins": [{"slug": "new", "version": "1"}, {"slug": "up", "version": "2"}, {"slug": "on", "active": True}],
        "theme": "t",
    }
    target = {
        "tables": [],
        "files": {"uploads/old.jpg": "1"},
        "plugins": [{"slug": "up", "version": "1"}, {"slug": "on"}, {"slug": "gone"}],
        "theme": "t",
    }
    plan = promotion.diff(source, target)
    assert {p["slug"]: p["change"] for p in plan["plugins"]} == {
        "new": "add",
        "up": "version",
        "on": "activate",
        "gone": "remove",
    }
    assert (plan["files"]["added"], plan["files"]["removed"]) == (1, 1) and plan["tables"][0]["targetRows"] is None
    fresh = promotion.diff(source, None)
    assert fresh["files"]["added"] == 1 and fresh["theme"] == {"source": "t", "target": None}
