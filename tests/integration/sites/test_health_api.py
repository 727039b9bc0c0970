"""A site's health over the API: reading it changes nothing; a check is recorded by the periodic job or a POST."""

from __future__ import annotations

from typing import Any

from tests.integration.sites.conftest import SiteHarness


def health_url(api: SiteHarness, tenant_id: str, site_id: str) -> str:
    return f"{api.sites(tenant_id)}/{site_id}/health"


def recorded(api: SiteHarness, tenant_id: str, site_id: str) -> list[dict[str, Any]]:
    r = api.client.get(health_url(api, tenant_id, site_id) + "/history", params={"hours": 720}, headers=api.admin())
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def audit_actions(api: SiteHarness, tenant_id: str) -> list[str]:
    r = api.client.get(f"/v1.0/tenants/{tenant_id}/audit", params={"pageSize": 100}, headers=api.admin())
    assert r.status_code == 200, r.text
    return [entry["action"] for entry in r.json()["items"]]


def test_reading_health_changes_nothing_and_shows_the_latest_recorded_check(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev")
    site = api.create_site(tid)
    before = recorded(api, tid, site["siteId"])
    assert before, "creating a site records its first check"
    viewer = api.member(tid, "VIEWER")
    api.clock.advance(minutes=5)
    first = api.client.get(health_url(api, tid, site["siteId"]), headers=viewer)
    api.clock.advance(minutes=5)
    second = api.client.get(health_url(api, tid, site["siteId"]), headers=viewer)
    assert first.status_code == second.status_code == 200, first.text
    assert recorded(api, tid, site["siteId"]) == before
    assert first.json()["checkedAt"] == second.json()["checkedAt"] == before[-1]["checkedAt"]
    assert first.json()["healthStatus"] == before[-1]["healthStatus"] and first.json()["siteId"] == site["siteId"]
    assert first.json()["_links"]["history"]["href"].endswith("/health/history")
    assert api.get_site(tid, site["siteId"])["version"] == site["version"]


def test_posting_records_one_check_and_answers_it(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev")
    site = api.create_site(tid)
    before = recorded(api, tid, site["siteId"])
    api.clock.advance(minutes=5)
    operator = api.member(tid, "OPERATOR")
    r = api.client.post(health_url(api, tid, site["siteId"]), headers=operator)
    assert r.status_code == 200, r.text
    after = recorded(api, tid, site["siteId"])
    assert len(after) == len(before) + 1
    assert after[-1]["checkedAt"] == r.json()["checkedAt"] and after[-1]["healthStatus"] == r.json()["healthStatus"]
    latest = api.client.get(health_url(api, tid, site["siteId"]), headers=operator).json()
    assert latest["checkedAt"] == r.json()["checkedAt"]
    assert "site.health_checked" in audit_actions(api, tid)


def test_a_viewer_may_read_but_not_record_a_check(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev")
    site = api.create_site(tid)
    before = recorded(api, tid, site["siteId"])
    for viewer in (api.member(tid, "VIEWER"), api.platform("VIEWER")):
        assert api.client.get(health_url(api, tid, site["siteId"]), headers=viewer).status_code == 200
        refused = api.client.post(health_url(api, tid, site["siteId"]), headers=viewer)
        assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN"
    read_only = api.member(tid, "OPERATOR", scope="sites:read")
    assert api.client.post(health_url(api, tid, site["siteId"]), headers=read_only).status_code == 403
    assert recorded(api, tid, site["siteId"]) == before
    assert api.client.post(health_url(api, tid, site["siteId"]), headers=api.platform("OPERATOR")).status_code == 200


def test_another_tenant_can_neither_read_nor_record(api: SiteHarness) -> None:
    tid, stranger_tid = api.tenant_with_instances("dev"), api.tenant_with_instances("dev")
    site = api.create_site(tid)
    before = recorded(api, tid, site["siteId"])
    stranger = api.member(stranger_tid, "ADMIN")
    for method in ("GET", "POST"):
        r = api.client.request(method, health_url(api, tid, site["siteId"]), headers=stranger)
        assert r.status_code == 404, (method, r.text)
    assert recorded(api, tid, site["siteId"]) == before


def test_a_site_with_no_recorded_check_reads_as_unknown(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev")
    body = {"siteName": "Acme", "subdomain": "notyet", "environment": "dev"}
    assert api.client.post(api.sites(tid), json=body, headers=api.admin()).status_code == 202  # job not run yet
    site = api.client.get(api.sites(tid), headers=api.admin()).json()["items"][0]
    r = api.client.get(health_url(api, tid, site["siteId"]), headers=api.admin())
    assert r.status_code == 200, r.text
    assert r.json()["healthStatus"] == "UNKNOWN" and r.json()["checkedAt"] is None and r.json()["checks"] == []
    assert recorded(api, tid, site["siteId"]) == []
