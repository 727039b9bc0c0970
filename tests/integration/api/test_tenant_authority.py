"""What the platform owns and a tenant may not undo: a suspension, the tier (commercial terms)."""

from __future__ import annotations

import pytest

from tests.support.api import ApiHarness

REASON = {"reason": "Invoice 2026-11 overdue by 30 days"}


def active_tenant(api: ApiHarness) -> str:
    tid = str(api.create_tenant()["tenantId"])
    api.run_jobs()
    return tid


def status_of(api: ApiHarness, tid: str) -> str:
    return str(api.client.get(f"/v1.0/tenants/{tid}", headers=api.admin()).json()["status"])


def test_a_tenant_admin_cannot_lift_a_platform_suspension(api: ApiHarness) -> None:
    tid = active_tenant(api)
    api.wait(api.client.post(f"/v1.0/tenants/{tid}/lifecycle/suspend", json=REASON, headers=api.admin()))
    owner = api.member(tid, "ADMIN")

    refused = api.client.post(f"/v1.0/tenants/{tid}/lifecycle/resume", headers=owner)
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "FORBIDDEN"
    assert "tenants:suspend" in refused.json()["detail"]
    api.run_jobs()
    assert status_of(api, tid) == "SUSPENDED"
    # and it cannot leave through deprovisioning either while the platform holds it
    gone = api.client.delete(f"/v1.0/tenants/{tid}", headers=owner)
    assert gone.status_code == 403, gone.text
    api.run_jobs()
    assert status_of(api, tid) == "SUSPENDED"

    operator = api.platform("OPERATOR")
    api.wait(api.client.post(f"/v1.0/tenants/{tid}/lifecycle/resume", headers=operator))
    assert status_of(api, tid) == "ACTIVE"


@pytest.mark.parametrize(
    ("caller", "may"),
    [
        ("platform ADMIN", True),
        ("platform OPERATOR", True),
        ("platform VIEWER", False),
        ("tenant ADMIN", False),
        ("tenant OPERATOR", False),
        ("tenant VIEWER", False),
    ],
)
def test_only_platform_admins_and_operators_suspend(api: ApiHarness, caller: str, may: bool) -> None:
    tid = active_tenant(api)
    kind, role = caller.split()
    headers = api.platform(role) if kind == "platform" else api.member(tid, role)
    r = api.client.post(f"/v1.0/tenants/{tid}/lifecycle/suspend", json=REASON, headers=headers)
    assert r.status_code == (202 if may else 403), r.text
    api.run_jobs()
    assert status_of(api, tid) == ("SUSPENDED" if may else "ACTIVE")


def test_park_and_unpark_are_the_tenants_own_pause(api: ApiHarness) -> None:
    tid = active_tenant(api)
    owner = api.member(tid, "ADMIN")
    api.wait(api.client.post(f"/v1.0/tenants/{tid}/lifecycle/park", json=REASON, headers=owner))
    assert status_of(api, tid) == "PARKED"
    api.wait(api.client.post(f"/v1.0/tenants/{tid}/lifecycle/unpark", headers=owner))
    assert status_of(api, tid) == "ACTIVE"
    # deprovisioning its own (not suspended) tenant is the tenant admin's right
    assert api.wait(api.client.delete(f"/v1.0/tenants/{tid}", headers=owner))["status"] == "COMPLETED"
    assert status_of(api, tid) == "DEPROVISIONED"


def test_a_tenant_admin_cannot_change_its_tier(api: ApiHarness) -> None:
    tid = active_tenant(api)
    owner = api.member(tid, "ADMIN")
    before = api.client.get(f"/v1.0/tenants/{tid}", headers=api.admin()).json()

    refused = api.client.put(f"/v1.0/tenants/{tid}", json={"tier": "ENTERPRISE"}, headers=owner)
    assert refused.status_code == 403, refused.text
    assert "tier" in refused.json()["detail"]
    both = {"tier": "ENTERPRISE", "organizationName": "Sneaky"}
    mixed = api.client.put(f"/v1.0/tenants/{tid}", json=both, headers=owner)
    assert mixed.status_code == 403, mixed.text
    after = api.client.get(f"/v1.0/tenants/{tid}", headers=api.admin()).json()
    assert (after["tier"], after["organizationName"], after["version"]) == (
        before["tier"], before["organizationName"], before["version"]
    )

    renamed = api.client.put(f"/v1.0/tenants/{tid}", json={"organizationName": "Renamed Acme"}, headers=owner)
    assert renamed.status_code == 200, renamed.text
    raised = api.client.put(f"/v1.0/tenants/{tid}", json={"tier": "ENTERPRISE"}, headers=api.platform("OPERATOR"))
    assert raised.status_code == 200, raised.text
    assert raised.json()["tier"] == "ENTERPRISE"


def lifecycle_links(api: ApiHarness, tid: str, headers: dict[str, str]) -> set[str]:
    """The lifecycle actions a caller is offered in the tenant's `_links` (from a read and from the list)."""
    names = {"suspend", "resume", "park", "unpark", "retry", "delete"}
    one = api.client.get(f"/v1.0/tenants/{tid}", headers=headers).json()["_links"]
    listed = [t for t in api.client.get("/v1.0/tenants", headers=headers).json()["items"] if t["tenantId"] == tid]
    assert [t["_links"] for t in listed] in ([], [one]), "the list offers what the read offers"
    return names & set(one)


def test_links_offer_only_the_lifecycle_actions_the_caller_may_run(api: ApiHarness) -> None:
    tid = active_tenant(api)
    owner, operator = api.member(tid, "ADMIN"), api.platform("OPERATOR")
    assert lifecycle_links(api, tid, api.admin()) == {"suspend", "park", "delete"}
    assert lifecycle_links(api, tid, operator) == {"suspend", "park"}
    assert lifecycle_links(api, tid, owner) == {"park", "delete"}
    assert lifecycle_links(api, tid, api.member(tid, "VIEWER")) == set()

    api.wait(api.client.post(f"/v1.0/tenants/{tid}/lifecycle/suspend", json=REASON, headers=api.admin()))
    assert lifecycle_links(api, tid, api.admin()) == {"resume", "delete"}
    assert lifecycle_links(api, tid, owner) == set(), "the platform's hold: neither resume nor deprovision"
