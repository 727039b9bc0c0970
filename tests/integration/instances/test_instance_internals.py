"""Host internals of an instance (its files path, database server) are for platform roles only."""

from __future__ import annotations

import json

import pytest

from tests.integration.instances.conftest import InstanceHarness

INTERNALS = ("filesPath", "databaseServer", "databasePrefix")


@pytest.mark.parametrize("role", ["ADMIN", "OPERATOR", "VIEWER"])
def test_platform_roles_see_where_an_instance_lives(api: InstanceHarness, role: str) -> None:
    tid = api.active_tenant()["tenantId"]
    instance = api.create_instance(tid)
    r = api.client.get(f"/v1.0/tenants/{tid}/instances/{instance['instanceId']}", headers=api.platform(role))
    assert r.status_code == 200, r.text
    assert r.json()["resources"]["filesPath"] == f"instances/{tid}"


@pytest.mark.parametrize("role", ["ADMIN", "OPERATOR", "VIEWER"])
def test_tenant_users_never_see_host_internals(api: InstanceHarness, role: str) -> None:
    tid = api.active_tenant()["tenantId"]
    instance = api.create_instance(tid)
    api.wait(
        api.client.put(
            f"/v1.0/tenants/{tid}/instances/{instance['instanceId']}/size", json={"desiredCount": 3},
            headers=api.admin(),
        )
    )
    member = api.member(tid, role)

    one = api.client.get(f"/v1.0/tenants/{tid}/instances/{instance['instanceId']}", headers=member)
    assert one.status_code == 200, one.text
    assert one.json()["resources"] == {"port": instance["resources"]["port"]}
    listed = api.client.get(f"/v1.0/tenants/{tid}/instances", headers=member)
    assert listed.status_code == 200, listed.text
    assert [i["resources"] for i in listed.json()["items"]] == [{"port": instance["resources"]["port"]}]
    # nor through the audit trail or the tenant's event log, which tenant users and their webhooks read
    audit = api.client.get(f"/v1.0/tenants/{tid}/audit", params={"pageSize": 100}, headers=member)
    assert audit.status_code == 200, audit.text
    assert any(a["resourceType"] == "instance" for a in audit.json()["items"])
    events = api.client.get(f"/v1.0/tenants/{tid}/events/stream", params={"since": "2000-01-01T00:00:00Z"},
                            headers=member)
    assert events.status_code == 200, events.text
    assert any("instance" in e["type"] for e in events.json()["items"]), events.text
    for text in (audit.text, events.text):
        assert not any(name in text for name in INTERNALS), json.loads(text)
