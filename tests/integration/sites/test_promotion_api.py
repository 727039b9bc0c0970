"""Promotion over an in-memory runtime: order, plan, pre-promotion backup, health gate, lookback, rollback."""

from __future__ import annotations

from typing import Any

from tests.integration.sites.conftest import SiteHarness


def promote(
    api: SiteHarness, tid: str, site_id: str, target: str, headers: dict[str, str] | None = None, **params: Any
) -> Any:
    return api.client.post(
        f"{api.sites(tid)}/{site_id}/promote", json={"target": target}, params=params, headers=headers or api.admin()
    )


def watch(api: SiteHarness, tid: str, site_id: str, hours: int, every_minutes: int = 15) -> None:
    """Let the periodic health job run for `hours` of manual-clock time (the sweep queues the checks at the end
    of one worker round; the next round runs them)."""
    for _ in range(hours * 60 // every_minutes):
        api.clock.advance(minutes=every_minutes)
        api.run_jobs()
        api.run_jobs()


def test_promotion_order_is_dev_sit_prod(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev", "sit", "prod")
    dev = api.create_site(tid)
    skip = promote(api, tid, dev["siteId"], "prod")
    assert skip.status_code == 422 and skip.json()["code"] == "SITE_006"
    bad = promote(api, tid, dev["siteId"], "dev")
    assert bad.status_code == 400
    prod_site = api.create_site(tid, "prod")
    assert promote(api, tid, prod_site["siteId"], "prod").json()["code"] == "SITE_006"


def test_dry_run_plans_and_changes_nothing(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev", "sit")
    dev = api.create_site(tid)
    plan = promote(api, tid, dev["siteId"], "sit", dryRun="true")
    assert plan.status_code == 200
    body = plan.json()
    assert body["dryRun"] and body["targetSiteId"] is None and body["healthGate"]["passed"]
    assert {t["table"] for t in body["tables"]} == {"wp_posts", "wp_options"}
    assert body["files"]["added"] == 1 and body["plugins"][0]["change"] == "add"
    assert api.client.get(api.sites(tid), params={"environment": "sit"}, headers=api.admin()).json()["items"] == []
    assert api.get_site(tid, dev["siteId"])["status"] == "ACTIVE"


def test_dev_to_sit_makes_the_copy_then_updates_it_with_a_backup_first(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev", "sit")
    dev = api.create_site(tid, subdomain="shop")
    api.driver.sites[(tid, "dev", dev["siteId"])]["posts"] = 3
    op = api.wait(promote(api, tid, dev["siteId"], "sit"))
    assert op["status"] == "COMPLETED", op
    sit = api.get_site(tid, op["result"]["targetSiteId"])
    assert sit["environment"] == "sit" and sit["subdomain"] == "shop" and sit["lineageId"] == dev["lineageId"]
    assert sit["promotedFrom"] == dev["siteId"] and api.driver.sites[(tid, "sit", sit["siteId"])]["posts"] == 3

    api.driver.sites[(tid, "dev", dev["siteId"])]["posts"] = 5
    plan = promote(api, tid, dev["siteId"], "sit", dryRun="true").json()
    assert plan["targetSiteId"] == sit["siteId"]
    assert next(t for t in plan["tables"] if t["table"] == "wp_posts") == {
        "table": "wp_posts",
        "sourceRows": 6,
        "targetRows": 4,
        "changed": True,
    }
    second = api.wait(promote(api, tid, dev["siteId"], "sit"))
    assert second["result"]["targetSiteId"] == sit["siteId"]
    assert api.driver.sites[(tid, "sit", sit["siteId"])]["posts"] == 5
    promotions = api.client.get(f"{api.sites(tid)}/{dev['siteId']}/promotions", headers=api.admin()).json()["items"]
    assert [p["status"] for p in promotions] == ["COMPLETED", "COMPLETED"]
    assert promotions[0]["preBackupId"] and not promotions[0]["targetCreated"] and promotions[1]["targetCreated"]
    assert promotions[0]["requestedBy"] == "platform-admin" and "rollback" in promotions[0]["_links"]
    backups = api.client.get(f"{api.sites(tid)}/{sit['siteId']}/backups", headers=api.admin()).json()["items"]
    assert [b["reason"] for b in backups] == ["pre-promotion"]

    # one call puts the target back as it was before the second promotion
    rolled = api.wait(
        api.client.post(
            f"{api.sites(tid)}/{dev['siteId']}/promotions/{promotions[0]['promotionId']}/rollback", headers=api.admin()
        )
    )
    assert rolled["status"] == "COMPLETED"
    assert api.driver.sites[(tid, "sit", sit["siteId"])]["posts"] == 3
    after = api.client.get(
        f"{api.sites(tid)}/{dev['siteId']}/promotions/{promotions[0]['promotionId']}", headers=api.admin()
    ).json()
    assert after["status"] == "ROLLED_BACK" and after["rolledBackBy"] == "platform-admin"
    again = api.client.post(
        f"{api.sites(tid)}/{dev['siteId']}/promotions/{promotions[0]['promotionId']}/rollback", headers=api.admin()
    )
    assert again.status_code == 409


def test_a_failing_health_gate_leaves_the_target_as_it_was(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev", "sit")
    dev = api.create_site(tid)
    sit_id = api.wait(promote(api, tid, dev["siteId"], "sit"))["result"]["targetSiteId"]
    api.driver.sites[(tid, "dev", dev["siteId"])]["posts"] = 9
    api.driver.unhealthy.add(sit_id)  # the copy breaks the target
    op = api.wait(promote(api, tid, dev["siteId"], "sit"))
    assert op["status"] == "FAILED" and "rolled back" in op["error"]["detail"]
    assert api.driver.sites[(tid, "sit", sit_id)]["posts"] == 1  # the pre-promotion backup is back
    assert api.get_site(tid, sit_id)["status"] == "ACTIVE" and api.get_site(tid, dev["siteId"])["status"] == "ACTIVE"
    last = api.client.get(f"{api.sites(tid)}/{dev['siteId']}/promotions", headers=api.admin()).json()["items"][0]
    assert last["status"] == "ROLLED_BACK" and last["health"]["healthStatus"] == "UNHEALTHY"


def test_a_new_target_that_fails_its_gate_is_removed(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev", "sit")
    dev = api.create_site(tid, subdomain="fresh")
    original = api.driver.import_site

    def import_broken(spec: Any, site: Any, archive: Any) -> Any:
        api.driver.unhealthy.add(site.key)
        return original(spec, site, archive)

    api.driver.import_site = import_broken  # type: ignore[method-assign]
    op = api.wait(promote(api, tid, dev["siteId"], "sit"))
    assert op["status"] == "FAILED"
    target = api.client.get(api.sites(tid), params={"environment": "sit"}, headers=api.admin()).json()["items"]
    assert [t["status"] for t in target] == ["DELETED"]
    assert not [k for k in api.driver.sites if k[1] == "sit"]
    api.driver.import_site = original  # type: ignore[method-assign]
    api.driver.unhealthy.clear()
    assert api.wait(promote(api, tid, dev["siteId"], "sit"))["status"] == "COMPLETED"  # the subdomain is free


def test_sit_to_prod_needs_admin_and_a_healthy_lookback_window(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev", "sit", "prod")
    dev = api.create_site(tid)
    operator = api.member(tid, "OPERATOR")
    sit_id = api.wait(promote(api, tid, dev["siteId"], "sit", headers=operator))["result"]["targetSiteId"]
    assert promote(api, tid, sit_id, "prod", headers=operator).status_code == 403

    early = promote(api, tid, sit_id, "prod")
    assert early.status_code == 422 and early.json()["code"] == "HEALTH_GATE_FAILED"
    watch(api, tid, sit_id, hours=12)
    assert promote(api, tid, sit_id, "prod").json()["code"] == "HEALTH_GATE_FAILED"  # only 12 h watched
    watch(api, tid, sit_id, hours=13)
    plan = promote(api, tid, sit_id, "prod", dryRun="true").json()
    assert plan["healthGate"]["passed"] and plan["healthGate"]["checks"] >= 90

    api.driver.unhealthy.add(sit_id)  # one bad periodic check inside the window blocks prod for 24 h
    watch(api, tid, sit_id, hours=1)
    api.driver.unhealthy.clear()
    watch(api, tid, sit_id, hours=2)
    blocked = promote(api, tid, sit_id, "prod").json()
    assert blocked["code"] == "HEALTH_GATE_FAILED" and "UNHEALTHY" in blocked["detail"]
    watch(api, tid, sit_id, hours=24)
    op = api.wait(promote(api, tid, sit_id, "prod"))
    assert op["status"] == "COMPLETED"
    prod = api.get_site(tid, op["result"]["targetSiteId"])
    assert prod["environment"] == "prod" and prod["lineageId"] == dev["lineageId"]


def test_a_gap_in_the_health_history_blocks_prod(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev", "sit", "prod")
    dev = api.create_site(tid)
    sit_id = api.wait(promote(api, tid, dev["siteId"], "sit"))["result"]["targetSiteId"]
    watch(api, tid, sit_id, hours=20)
    api.clock.advance(hours=2)  # the health job did not run for two hours
    watch(api, tid, sit_id, hours=5)
    gate = promote(api, tid, sit_id, "prod").json()
    assert gate["code"] == "HEALTH_GATE_FAILED" and "no health check between" in gate["detail"]
