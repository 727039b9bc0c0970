"""Whoever may see a site may follow its operations, and only they: team roles included."""

from __future__ import annotations

from typing import Any

from tests.integration.sites.conftest import SiteHarness
from tests.support.api import rid


def team(api: SiteHarness, tid: str) -> dict[str, Any]:
    r = api.client.post(f"/v1.0/tenants/{tid}/divisions", json={"name": rid("Div")}, headers=api.admin())
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_a_team_user_follows_the_operation_it_started_and_no_other_team_does(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev")
    ours, theirs = team(api, tid), team(api, tid)
    site = api.create_site(tid, teamId=ours["divisionId"])
    operator = api.member(tid, "OPERATOR", node_path=ours["path"])
    viewer = api.member(tid, "VIEWER", node_path=ours["path"])
    stranger = api.member(tid, "ADMIN", node_path=theirs["path"])

    started = api.client.post(f"{api.sites(tid)}/{site['siteId']}/backup", headers=operator)
    assert started.status_code == 202, started.text
    op_id = started.json()["operationId"]
    for who in (operator, viewer):
        r = api.client.get(f"/v1.0/operations/{op_id}", headers=who)
        assert r.status_code == 200, r.text
        assert api.client.get(f"/v1.0/operations/{op_id}/events", headers=who).status_code == 200
    hidden = api.client.get(f"/v1.0/operations/{op_id}", headers=stranger)
    assert hidden.status_code == 404 and hidden.json()["code"] == "OPERATION_NOT_FOUND", hidden.text
    assert api.client.get(f"/v1.0/operations/{op_id}/events", headers=stranger).status_code == 404
    assert api.client.post(f"/v1.0/operations/{op_id}/cancel", headers=stranger).status_code == 404
    assert api.client.post(f"/v1.0/operations/{op_id}/cancel", headers=viewer).status_code == 403
    cancelled = api.client.post(f"/v1.0/operations/{op_id}/cancel", headers=operator)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "CANCELLED", cancelled.text


def test_listing_shows_a_team_user_the_operations_of_what_it_can_see(api: SiteHarness) -> None:
    tid = api.tenant_with_instances("dev")
    ours, theirs = team(api, tid), team(api, tid)
    our_site = api.create_site(tid, teamId=ours["divisionId"])
    their_site = api.create_site(tid, teamId=theirs["divisionId"])
    tenant_site = api.create_site(tid)
    for site in (our_site, their_site, tenant_site):
        api.wait(api.client.post(f"{api.sites(tid)}/{site['siteId']}/backup", headers=api.admin()))

    def listed(headers: dict[str, str]) -> set[str]:
        r = api.client.get(f"/v1.0/tenants/{tid}/operations", params={"pageSize": 100}, headers=headers)
        assert r.status_code == 200, r.text
        return {(o["resourceType"], o["resourceId"]) for o in r.json()["items"]}

    ours_only = listed(api.member(tid, "VIEWER", node_path=ours["path"]))
    assert ours_only == {("site", our_site["siteId"])}
    everything = listed(api.member(tid, "VIEWER"))
    assert {("site", s["siteId"]) for s in (our_site, their_site, tenant_site)} <= everything
    instance = api.client.get(f"/v1.0/tenants/{tid}/instances", headers=api.admin()).json()["items"][0]
    assert ("instance", instance["instanceId"]) in everything  # tenant-wide work: tenant roles only
    other_tenant = api.tenant_with_instances("dev")
    r = api.client.get(f"/v1.0/tenants/{tid}/operations", headers=api.member(other_tenant, "ADMIN"))
    assert r.status_code == 404, r.text
