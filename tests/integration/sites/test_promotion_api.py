"""Promotion over an in-memory runtime: order, plan, pre-promotion backup, health gate, lookback, rollback."""

from __future__ import annotations

from typing import Any

from bbws.core.driver import DriverError
from tests.integration.sites.conftest import SiteHarness
from tests.support.api import rid


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
    prod_site = api.create_site(tid, "prod")
    assert promote(api, tid, prod_site["siteId"], "prod").json()["code"] == "SITE_006"


def test_any_environment_that_is_not_the_next_is_site_006_and_a_bad_name_is_400(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev", "sit")
    dev = api.create_site(tid)
    sit = api.get_site(tid, api.wait(promote(api, tid, dev["siteId"], "sit"))["result"]["targetSiteId"])
    operator = api.member(tid, "OPERATOR")  # promote:sit only: the order rule answers before the permission
    for site, target in ((dev, "dev"), (sit, "dev"), (sit, "sit"), (dev, "prod")):
        for headers in (api.admin(), operator):
            refused = promote(api, tid, site["siteId"], target, headers=headers)
            assert refused.status_code == 422, (site["environment"], target, refused.text)
            body = refused.json()
            assert body["code"] == "SITE_006" and body["targetEnvironment"] == target
    for bad in ("staging", "DEV", ""):
        invalid = promote(api, tid, dev["siteId"], bad)
        assert invalid.status_code == 400 and invalid.json()["code"] == "VALIDATION_ERROR", invalid.text
    assert api.get_site(tid, dev["siteId"])["status"] == "ACTIVE"


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


CLI = {"User-Agent": "bbws-cli/0.1.0"}


def refused_like_the_plan(
    api: SiteHarness, tid: str, site_id: str, target: str, headers: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """The dry run's blockers; the real request answers with the first one (same code and status) and
    changes nothing."""
    plan = promote(api, tid, site_id, target, headers=headers, dryRun="true")
    assert plan.status_code == 200, plan.text
    body = plan.json()
    assert body["ready"] is False and body["blockers"], body
    real = promote(api, tid, site_id, target, headers=headers)
    first = body["blockers"][0]
    assert (real.status_code, real.json()["code"]) == (first["status"], first["code"]), real.text
    assert api.get_site(tid, site_id).get("pendingOperationId") is None or first["code"] == "OPERATION_IN_PROGRESS"
    return list(body["blockers"])


def test_dry_run_without_a_target_instance_is_not_ready_and_names_the_fix(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev")
    dev = api.create_site(tid)
    blockers = refused_like_the_plan(api, tid, dev["siteId"], "sit")
    assert [b["code"] for b in blockers] == ["INSTANCE_NOT_FOUND"]
    assert blockers[0]["hint"] == f'POST /v1.0/tenants/{tid}/instances {{"environment": "sit"}}'
    plan = promote(api, tid, dev["siteId"], "sit", headers={**api.admin(), **CLI}, dryRun="true").json()
    assert plan["blockers"][0]["hint"] == f"bbws instances create --tenant {tid} --env sit"
    assert plan["tables"] is not None  # the source is still read for the plan
    real = promote(api, tid, dev["siteId"], "sit", headers={**api.admin(), **CLI}).json()
    assert real["code"] == "INSTANCE_NOT_FOUND" and real["hint"] == f"bbws instances create --tenant {tid} --env sit"
    assert api.client.get(api.sites(tid), params={"environment": "sit"}, headers=api.admin()).json()["items"] == []


def test_a_ready_dry_run_has_no_blockers(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev", "sit")
    dev = api.create_site(tid)
    plan = promote(api, tid, dev["siteId"], "sit", dryRun="true").json()
    assert plan["ready"] is True and plan["blockers"] == []


def test_the_dry_run_lists_each_check_the_request_makes(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev", "sit", "prod")
    dev = api.create_site(tid, subdomain=rid("p").replace("-", ""))
    codes = lambda *a, **k: [b["code"] for b in refused_like_the_plan(api, tid, *a, **k)]  # noqa: E731

    order = promote(api, tid, dev["siteId"], "prod", dryRun="true").json()
    assert [b["code"] for b in order["blockers"]] == ["SITE_006"] and order["tables"] is None
    assert codes(dev["siteId"], "prod") == ["SITE_006"]

    # the role for prod, and the lookback window of a SIT site not watched yet
    sit_id = api.wait(promote(api, tid, dev["siteId"], "sit"))["result"]["targetSiteId"]
    operator = api.member(tid, "OPERATOR")
    assert codes(sit_id, "prod", headers=operator) == ["FORBIDDEN", "HEALTH_GATE_FAILED"]
    viewer = api.member(tid, "VIEWER")
    assert codes(sit_id, "prod", headers=viewer) == ["FORBIDDEN", "HEALTH_GATE_FAILED"]
    assert codes(sit_id, "prod") == ["HEALTH_GATE_FAILED"]

    # the target is busy, then in a state that cannot take a copy
    busy = api.client.post(f"{api.sites(tid)}/{sit_id}/backup", headers=api.admin())
    assert busy.status_code == 202, busy.text
    blocked = refused_like_the_plan(api, tid, dev["siteId"], "sit")
    assert [b["code"] for b in blocked] == ["OPERATION_IN_PROGRESS"]
    assert blocked[0]["hint"] == f"GET /v1.0/operations/{busy.json()['operationId']}"
    api.run_jobs()
    suspend = api.client.put(f"{api.sites(tid)}/{sit_id}/status", json={"action": "suspend"}, headers=api.admin())
    assert api.wait(suspend)["status"] == "COMPLETED"
    assert codes(dev["siteId"], "sit") == ["SITE_005"]

    # the source busy and not ACTIVE
    suspend = api.client.put(
        f"{api.sites(tid)}/{dev['siteId']}/status", json={"action": "suspend"}, headers=api.admin()
    )
    assert suspend.status_code == 202
    assert codes(dev["siteId"], "sit") == ["OPERATION_IN_PROGRESS", "SITE_005"]
    api.run_jobs()
    assert codes(dev["siteId"], "sit") == ["SITE_005", "SITE_005"]


def test_the_dry_run_checks_the_target_environment(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev", "sit")
    dev = api.create_site(tid, subdomain=rid("q").replace("-", ""))
    # the subdomain is another tenant's site in sit
    other = api.tenant_with_instances("sit")
    api.create_site(other, "sit", subdomain=dev["subdomain"])
    assert [b["code"] for b in refused_like_the_plan(api, tid, dev["siteId"], "sit")] == ["SITE_003"]

    fresh = api.create_site(tid)
    for _ in range(5):  # the STANDARD tier's quota of sites in sit
        api.create_site(tid, "sit")
    assert [b["code"] for b in refused_like_the_plan(api, tid, fresh["siteId"], "sit")] == ["SITE_004"]

    sit = next(
        i
        for i in api.client.get(f"/v1.0/tenants/{tid}/instances", headers=api.admin()).json()["items"]
        if i["environment"] == "sit"
    )
    stop = api.client.put(
        f"/v1.0/tenants/{tid}/instances/{sit['instanceId']}/status", json={"action": "stop"}, headers=api.admin()
    )
    assert api.wait(stop)["status"] == "COMPLETED"
    blockers = refused_like_the_plan(api, tid, fresh["siteId"], "sit")
    assert [b["code"] for b in blockers] == ["INSTANCE_NOT_ACTIVE", "SITE_004"]
    assert "/status" in blockers[0]["hint"] and "start" in blockers[0]["hint"]


def test_a_suspended_tenant_cannot_promote(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev", "sit")
    dev = api.create_site(tid)
    body = {"reason": "Unpaid invoices for three months"}
    suspended = api.client.post(f"/v1.0/tenants/{tid}/lifecycle/suspend", json=body, headers=api.admin())
    assert api.wait(suspended)["status"] == "COMPLETED"
    codes = [b["code"] for b in refused_like_the_plan(api, tid, dev["siteId"], "sit")]
    assert codes[0] == "TENANT_NOT_ACTIVE"


def test_a_plan_whose_sites_cannot_be_read_is_blocked_by_wp_001(api: SiteHarness, monkeypatch: Any) -> None:
    tid = api.tenant_with_instances("dev", "sit")
    dev = api.create_site(tid)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise DriverError("the instance does not answer", code="RUNTIME_ERROR")

    monkeypatch.setattr(api.driver, "run_admin", refuse)
    plan = promote(api, tid, dev["siteId"], "sit", dryRun="true")
    assert plan.status_code == 200, plan.text  # a dry run answers with what blocks the promotion
    (blocker,) = plan.json()["blockers"]
    assert blocker["code"] == "WP_001" and blocker["status"] == 502
    assert "could not be read for the plan" in blocker["detail"] and not plan.json()["ready"]
    assert api.get_site(tid, dev["siteId"])["status"] == "ACTIVE"
