"""The sites API over an in-memory runtime: states, uniqueness, quotas, roles, clone, backups, deletion."""

from __future__ import annotations

from tests.integration.sites.conftest import SiteHarness
from tests.support.api import rid


def test_create_site_answers_202_and_the_operation_names_the_site(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev")
    response = api.client.post(
        api.sites(tid), json={"siteName": "Acme", "subdomain": "acme", "environment": "dev"}, headers=api.admin()
    )
    assert response.status_code == 202 and response.json()["status"] == "PENDING"
    site_id = response.json()["resourceId"]
    pending = api.client.get(f"{api.sites(tid)}/{site_id}", headers=api.admin()).json()
    assert pending["status"] == "PROVISIONING" and "operation" in pending["_links"]
    assert "delete" not in pending["_links"]  # a busy site offers no actions
    op = api.wait(response)
    assert op["status"] == "COMPLETED" and op["result"]["siteId"] == site_id
    assert op["result"]["_links"]["site"]["href"].endswith(f"/sites/{site_id}")
    site = api.get_site(tid, site_id)
    assert site["status"] == "ACTIVE" and site["url"].endswith("/acme/") and site["healthStatus"] == "HEALTHY"
    assert site["lineageId"] == site_id and site["adminEmail"] == "ops@example.com"
    assert "password" not in str(site).lower()
    events = [e["action"] for e in api.client.get(f"/v1.0/tenants/{tid}/audit", headers=api.admin()).json()["items"]]
    assert "site.created" in events and "site.requested" in events


def test_subdomains_are_unique_per_environment_across_tenants(api: SiteHarness) -> None:
    one, two = api.tenant_with_instances("dev", "sit"), api.tenant_with_instances("dev")
    api.create_site(one, subdomain="shop")
    again = api.client.post(
        api.sites(two), json={"siteName": "X", "subdomain": "shop", "environment": "dev"}, headers=api.admin()
    )
    assert again.status_code == 409 and again.json()["code"] == "SITE_003"
    assert api.create_site(one, "sit", subdomain="shop")["status"] == "ACTIVE"  # another environment


def test_bad_subdomains_and_missing_instance_change_nothing(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev")
    for bad, code in (
        ("www", "SITE_001"),
        ("Bad_Label", "VALIDATION_ERROR"),
        ("-x", "VALIDATION_ERROR"),
        ("a" * 64, "VALIDATION_ERROR"),
        ("xn--abc", "SITE_001"),
    ):
        r = api.client.post(
            api.sites(tid), json={"siteName": "X", "subdomain": bad, "environment": "dev"}, headers=api.admin()
        )
        assert r.status_code == 400 and r.json()["code"] == code, (bad, r.text)
    r = api.client.post(
        api.sites(tid), json={"siteName": "X", "subdomain": "ok", "environment": "prod"}, headers=api.admin()
    )
    assert r.status_code == 409 and r.json()["code"] == "INSTANCE_NOT_FOUND"
    assert api.client.get(api.sites(tid), headers=api.admin()).json()["items"] == []


def test_quota_by_tier_is_enforced_and_freed_by_deletion(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev")
    made = [api.create_site(tid) for _ in range(5)]  # STANDARD: 5 per environment
    r = api.client.post(
        api.sites(tid), json={"siteName": "X", "subdomain": "six", "environment": "dev"}, headers=api.admin()
    )
    assert r.status_code == 422 and r.json()["code"] == "SITE_004" and r.json()["quota"] == 5
    assert (
        api.wait(api.client.delete(f"{api.sites(tid)}/{made[0]['siteId']}", headers=api.admin()))["status"]
        == "COMPLETED"
    )
    assert api.create_site(tid, subdomain="six")["status"] == "ACTIVE"


def test_list_filters_and_pages(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev", "sit")
    dev = [api.create_site(tid) for _ in range(3)]
    api.create_site(tid, "sit")
    api.wait(
        api.client.put(f"{api.sites(tid)}/{dev[0]['siteId']}/status", json={"action": "suspend"}, headers=api.admin())
    )
    listed = api.client.get(api.sites(tid), params={"environment": "dev", "pageSize": 2}, headers=api.admin()).json()
    assert len(listed["items"]) == 2 and listed["moreAvailable"]
    rest = api.client.get(
        api.sites(tid), params={"environment": "dev", "pageSize": 2, "startAt": listed["startAt"]}, headers=api.admin()
    ).json()
    assert {s["siteId"] for s in listed["items"] + rest["items"]} == {s["siteId"] for s in dev}
    suspended = api.client.get(
        api.sites(tid), params={"environment": "dev", "status": "SUSPENDED"}, headers=api.admin()
    ).json()["items"]
    assert [s["siteId"] for s in suspended] == [dev[0]["siteId"]]
    active = api.client.get(api.sites(tid), params={"status": "ACTIVE"}, headers=api.admin()).json()["items"]
    assert len(active) == 3
    bad = api.client.get(api.sites(tid), params={"environment": "qa"}, headers=api.admin())
    assert bad.status_code == 400


def test_update_with_if_match_and_suspend_activate(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev")
    site = api.create_site(tid)
    url = f"{api.sites(tid)}/{site['siteId']}"
    stale = api.client.put(url, json={"tagline": "x"}, headers={**api.admin(), "If-Match": '"1"'})
    assert stale.status_code == 412
    assert api.client.put(url, json={}, headers=api.admin()).json()["code"] == "NOTHING_TO_UPDATE"
    op = api.wait(
        api.client.put(
            url,
            json={"siteName": "Acme Two", "tagline": "Widgets"},
            headers={**api.admin(), "If-Match": f'"{site["version"]}"'},
        )
    )
    assert op["status"] == "COMPLETED"
    after = api.get_site(tid, site["siteId"])
    assert after["siteName"] == "Acme Two" and after["tagline"] == "Widgets"
    key = (tid, "dev", site["siteId"])
    assert api.driver.sites[key]["options"] == {"blogname": "Acme Two", "blogdescription": "Widgets"}

    api.wait(api.client.put(f"{url}/status", json={"action": "suspend"}, headers=api.admin()))
    assert api.get_site(tid, site["siteId"])["status"] == "SUSPENDED" and api.driver.sites[key]["maintenance"]
    again = api.client.put(f"{url}/status", json={"action": "suspend"}, headers=api.admin())
    assert again.status_code == 422 and again.json()["code"] == "SITE_005"
    assert api.client.put(url, json={"tagline": "y"}, headers=api.admin()).json()["code"] == "SITE_005"
    api.wait(api.client.put(f"{url}/status", json={"action": "activate"}, headers=api.admin()))
    assert api.get_site(tid, site["siteId"])["status"] == "ACTIVE" and not api.driver.sites[key]["maintenance"]


def test_delete_backs_up_first_then_frees_the_subdomain(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev")
    site = api.create_site(tid, subdomain="gone")
    op = api.wait(api.client.delete(f"{api.sites(tid)}/{site['siteId']}", headers=api.admin()))
    assert op["status"] == "COMPLETED" and op["result"]["backupId"]
    after = api.get_site(tid, site["siteId"])
    assert after["status"] == "DELETED" and after["url"] is None and "delete" not in after["_links"]
    assert (tid, "dev", site["siteId"]) not in api.driver.sites
    backups = api.client.get(f"{api.sites(tid)}/{site['siteId']}/backups", headers=api.admin()).json()["items"]
    assert [b["reason"] for b in backups] == ["pre-delete"] and backups[0]["checksum"]
    assert api.create_site(tid, subdomain="gone")["status"] == "ACTIVE"
    again = api.client.delete(f"{api.sites(tid)}/{site['siteId']}", headers=api.admin())
    assert again.status_code == 422 and again.json()["code"] == "SITE_005"


def test_clone_copies_into_a_new_lineage_and_returns_the_source(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev", "sit")
    source = api.create_site(tid)
    key = (tid, "dev", source["siteId"])
    api.driver.sites[key]["posts"] = 7
    r = api.client.post(
        f"{api.sites(tid)}/{source['siteId']}/clone",
        json={"subdomain": "copy", "siteName": "Copy", "environment": "sit"},
        headers=api.admin(),
    )
    assert r.status_code == 202
    assert api.get_site(tid, source["siteId"])["status"] == "CLONING"
    op = api.wait(r)
    copy = api.get_site(tid, op["result"]["siteId"])
    assert copy["status"] == "ACTIVE" and copy["clonedFrom"] == source["siteId"]
    assert copy["lineageId"] != source["lineageId"] and copy["environment"] == "sit"
    assert api.driver.sites[(tid, "sit", copy["siteId"])]["posts"] == 7
    assert api.get_site(tid, source["siteId"])["status"] == "ACTIVE"
    taken = api.client.post(
        f"{api.sites(tid)}/{source['siteId']}/clone",
        json={"subdomain": "copy", "siteName": "Copy", "environment": "sit"},
        headers=api.admin(),
    )
    assert taken.status_code == 409 and taken.json()["code"] == "SITE_003"


def test_a_failed_create_is_failed_and_cleaned_up(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev")
    api.driver.fail_next["install_site"] = "disk full"
    op = api.wait(
        api.client.post(
            api.sites(tid), json={"siteName": "X", "subdomain": "broken", "environment": "dev"}, headers=api.admin()
        )
    )
    assert op["status"] == "FAILED" and "disk full" in op["error"]["detail"]
    site = api.get_site(tid, op["resourceId"])
    assert site["status"] == "FAILED" and site["lastError"] == "disk full"
    assert "delete" in site["_links"] and "restore" in site["_links"]
    assert (
        api.wait(api.client.delete(f"{api.sites(tid)}/{site['siteId']}", headers=api.admin()))["status"] == "COMPLETED"
    )
    assert api.create_site(tid, subdomain="broken")["status"] == "ACTIVE"


def test_backup_and_restore_bring_content_back_and_refuse_another_sites_backup(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev")
    site, other = api.create_site(tid), api.create_site(tid)
    url = f"{api.sites(tid)}/{site['siteId']}"
    key = (tid, "dev", site["siteId"])
    api.driver.sites[key]["posts"] = 12
    op = api.wait(api.client.post(f"{url}/backup", headers=api.admin()))
    backup_id = op["result"]["backupId"]
    assert len(op["result"]["checksum"]) == 64
    api.driver.sites[key]["posts"] = 2  # posts deleted
    other_backup = api.wait(api.client.post(f"{api.sites(tid)}/{other['siteId']}/backup", headers=api.admin()))[
        "result"
    ]["backupId"]
    wrong = api.client.post(f"{url}/restore", json={"backupId": other_backup}, headers=api.admin())
    assert wrong.status_code == 404 and wrong.json()["code"] == "BACKUP_NOT_FOUND"
    restored = api.wait(api.client.post(f"{url}/restore", json={"backupId": backup_id}, headers=api.admin()))
    assert restored["status"] == "COMPLETED" and restored["result"]["restore"]["verified"]
    assert api.driver.sites[key]["posts"] == 12


def test_a_tampered_backup_is_not_restored(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev")
    site = api.create_site(tid)
    url = f"{api.sites(tid)}/{site['siteId']}"
    backup_id = api.wait(api.client.post(f"{url}/backup", headers=api.admin()))["result"]["backupId"]
    archive = next((api.settings.data_dir / "artifacts" / "backups").rglob(f"{backup_id}.tar.gz"))
    archive.write_text("tampered")
    op = api.wait(api.client.post(f"{url}/restore", json={"backupId": backup_id}, headers=api.admin()))
    assert op["status"] == "FAILED" and "checksum" in op["error"]["detail"]
    assert op["error"]["code"] == "BACKUP_CORRUPT"
    assert api.get_site(tid, site["siteId"])["status"] == "ACTIVE"  # checked before anything was touched


def test_backups_are_kept_by_the_retention_setting(tmp_path) -> None:  # type: ignore[no-untyped-def]
    api = SiteHarness(tmp_path / "data", backup_retention=2)
    tid = api.tenant_with_instances("dev")
    site = api.create_site(tid)
    ids = [
        api.wait(api.client.post(f"{api.sites(tid)}/{site['siteId']}/backup", headers=api.admin()))["result"][
            "backupId"
        ]
        for _ in range(4)
    ]
    listed = api.client.get(f"{api.sites(tid)}/{site['siteId']}/backups", headers=api.admin()).json()["items"]
    assert [b["backupId"] for b in listed] == ids[:1:-1]
    assert len(list((api.settings.data_dir / "artifacts").rglob("bak_*.tar.gz"))) == 2


def test_roles_and_team_scoping(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev")
    division = api.client.post(f"/v1.0/tenants/{tid}/divisions", json={"name": rid("Div")}, headers=api.admin()).json()
    team_site = api.create_site(tid, teamId=division["divisionId"])
    other_site = api.create_site(tid)
    operator = api.member(tid, "OPERATOR", node_path=division["path"])
    viewer = api.member(tid, "VIEWER")
    listed = api.client.get(api.sites(tid), headers=operator).json()["items"]
    assert [s["siteId"] for s in listed] == [team_site["siteId"]]
    assert api.client.get(f"{api.sites(tid)}/{other_site['siteId']}", headers=operator).status_code == 404
    r = api.client.post(f"{api.sites(tid)}/{team_site['siteId']}/backup", headers=operator)
    assert r.status_code == 202
    api.run_jobs()
    r = api.client.post(
        api.sites(tid),
        json={"siteName": "X", "subdomain": rid("t").replace("-", ""), "environment": "dev"},
        headers=operator,
    )
    assert r.status_code == 403  # a team role cannot make tenant-level sites
    r = api.client.post(
        api.sites(tid),
        json={
            "siteName": "X",
            "subdomain": rid("t").replace("-", ""),
            "environment": "dev",
            "teamId": division["divisionId"],
        },
        headers=operator,
    )
    assert r.status_code == 202
    assert api.client.get(f"{api.sites(tid)}/{other_site['siteId']}", headers=viewer).status_code == 200
    assert api.client.post(f"{api.sites(tid)}/{other_site['siteId']}/backup", headers=viewer).status_code == 403
    assert api.client.delete(f"{api.sites(tid)}/{other_site['siteId']}", headers=viewer).status_code == 403


def test_another_tenant_sees_nothing(api: SiteHarness) -> None:
    tid, stranger_tid = api.tenant_with_instances("dev"), api.tenant_with_instances("dev")
    site = api.create_site(tid)
    stranger = api.member(stranger_tid, "ADMIN")
    base = f"{api.sites(tid)}/{site['siteId']}"
    for method, path in (
        ("GET", api.sites(tid)),
        ("GET", base),
        ("GET", f"{base}/backups"),
        ("GET", f"{base}/health"),
        ("POST", f"{base}/backup"),
        ("DELETE", base),
    ):
        assert api.client.request(method, path, headers=stranger).status_code == 404, (method, path)
    # the site id under the stranger's own tenant is not found either
    assert api.client.get(f"{api.sites(stranger_tid)}/{site['siteId']}", headers=stranger).json()["code"] == "SITE_002"


def test_deleting_the_instance_ends_its_sites_and_frees_their_subdomains(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev", "sit")
    dev, sit = api.create_site(tid, subdomain="keep"), api.create_site(tid, "sit", subdomain="keep")
    instance = next(
        i
        for i in api.client.get(f"/v1.0/tenants/{tid}/instances", headers=api.admin()).json()["items"]
        if i["environment"] == "dev"
    )
    op = api.wait(api.client.delete(f"/v1.0/tenants/{tid}/instances/{instance['instanceId']}", headers=api.admin()))
    assert op["status"] == "COMPLETED"
    gone = api.get_site(tid, dev["siteId"])
    assert gone["status"] == "DELETED" and gone["url"] is None and instance["instanceId"] in gone["lastError"]
    assert api.get_site(tid, sit["siteId"])["status"] == "ACTIVE"  # another environment's instance
    again = api.client.post(f"/v1.0/tenants/{tid}/instances", json={"environment": "dev"}, headers=api.admin())
    assert api.wait(again)["status"] == "COMPLETED"
    assert api.create_site(tid, subdomain="keep")["status"] == "ACTIVE"  # subdomain and quota are free again
