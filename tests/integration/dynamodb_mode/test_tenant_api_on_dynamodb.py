"""The same server with `store=dynamodb`: the tenant API end to end on a DynamoDB table (moto)."""

from __future__ import annotations

from typing import Any

from bbws.store.dynamodb_store import DynamoDbStore
from tests.support.api import ApiHarness, rid
from tests.support.moto_server import boto_client


def store_calls(api: ApiHarness) -> int:
    return sum(api.container.store.counters().values())


def test_the_app_keeps_its_data_in_the_dynamodb_table(api: ApiHarness, moto_endpoint: str) -> None:
    assert isinstance(api.container.store, DynamoDbStore)
    tenant = api.create_tenant()
    client = boto_client("dynamodb", moto_endpoint)
    item = client.get_item(
        TableName=api.settings.dynamodb_table,
        Key={"pk": {"S": f"TENANT#{tenant['tenantId']}"}, "sk": {"S": "METADATA"}},
    )["Item"]
    assert item["organizationName"]["S"] == tenant["organizationName"]
    assert not (api.settings.data_dir / "bbws.sqlite3").exists()
    description = client.describe_table(TableName=api.settings.dynamodb_table)["Table"]
    assert {i["IndexName"] for i in description["GlobalSecondaryIndexes"]} >= {"GSI1", "GSI2"}


def test_create_get_update_and_conditional_reads(api: ApiHarness) -> None:
    h = api.admin()
    name = rid("Dyn")
    r = api.client.post(
        "/v1.0/tenants",
        headers=h,
        json={"organizationName": name, "contactEmail": "a@example.com", "tier": "ENTERPRISE", "metadata": {"k": "v"}},
    )
    assert r.status_code == 201, r.text
    tenant = r.json()
    tid = tenant["tenantId"]
    assert r.headers["location"] == f"/v1.0/tenants/{tid}"
    got = api.client.get(f"/v1.0/tenants/{tid}", headers=h)
    assert got.status_code == 200
    assert got.json()["organizationName"] == name and got.json()["status"] == "ACTIVE"
    assert got.json()["metadata"] == {"k": "v"} and got.json()["tier"] == "ENTERPRISE"
    etag = got.headers["etag"]
    assert api.client.get(f"/v1.0/tenants/{tid}", headers={**h, "If-None-Match": etag}).status_code == 304
    stale = api.client.put(f"/v1.0/tenants/{tid}", headers={**h, "If-Match": '"999"'}, json={"tier": "STANDARD"})
    assert stale.status_code == 412
    updated = api.client.put(f"/v1.0/tenants/{tid}", headers={**h, "If-Match": etag}, json={"tier": "STANDARD"})
    assert updated.status_code == 200 and updated.json()["tier"] == "STANDARD"
    assert updated.headers["etag"] != etag
    missing = api.client.get("/v1.0/tenants/ten_01jd3m8x2v9k4q7r5t6w8y0z1a", headers=h)
    assert missing.status_code == 404 and missing.json()["code"] == "TENANT_NOT_FOUND"


def test_list_with_pagination_and_filters(api: ApiHarness) -> None:
    h = api.admin()
    made = [api.create_tenant(tier="PROFESSIONAL" if i % 2 else "STANDARD")["tenantId"] for i in range(5)]
    seen: list[str] = []
    url: str | None = "/v1.0/tenants?pageSize=2"
    pages = 0
    while url:
        page = api.client.get(url, headers=h).json()
        assert len(page["items"]) <= 2
        seen += [t["tenantId"] for t in page["items"]]
        assert page["moreAvailable"] is (page["startAt"] is not None)
        url = page["_links"].get("next", {}).get("href")
        pages += 1
    assert seen == made and pages == 3
    pro = api.client.get("/v1.0/tenants", params={"tier": "PROFESSIONAL", "pageSize": 1}, headers=h).json()
    assert [t["tier"] for t in pro["items"]] == ["PROFESSIONAL"] and pro["moreAvailable"]
    second = api.client.get(
        "/v1.0/tenants", params={"tier": "PROFESSIONAL", "pageSize": 1, "startAt": pro["startAt"]}, headers=h
    ).json()
    assert [t["tenantId"] for t in second["items"]] == [made[3]]
    forged = api.client.get("/v1.0/tenants", params={"tier": "STANDARD", "startAt": pro["startAt"]}, headers=h)
    assert forged.status_code == 400 and forged.json()["code"] == "INVALID_PAGINATION_TOKEN"


def test_park_unpark_operations_and_audit(api: ApiHarness) -> None:
    h = api.admin()
    tid = api.create_tenant()["tenantId"]
    parked = api.client.post(f"/v1.0/tenants/{tid}/lifecycle/park", headers=h, json={"reason": "Paused by the client"})
    assert parked.status_code == 202 and parked.json()["status"] == "PENDING"
    op = api.wait(parked)
    assert op["status"] == "COMPLETED" and op["operationType"] == "TENANT_PARK"
    tenant = api.client.get(f"/v1.0/tenants/{tid}", headers=h).json()
    assert tenant["status"] == "PARKED" and "unpark" in tenant["_links"] and "park" not in tenant["_links"]
    again = api.client.post(f"/v1.0/tenants/{tid}/lifecycle/park", headers=h, json={"reason": "Paused by the client"})
    assert again.status_code == 422 and again.json()["currentStatus"] == "PARKED"
    api.wait(api.client.post(f"/v1.0/tenants/{tid}/lifecycle/unpark", headers=h))
    assert api.client.get(f"/v1.0/tenants/{tid}", headers=h).json()["status"] == "ACTIVE"
    audit = api.client.get(f"/v1.0/tenants/{tid}/audit", headers=h).json()
    actions = [a["action"] for a in audit["items"]]
    assert actions == ["tenant.unparked", "tenant.parked", "tenant.activated", "tenant.created"]  # newest first
    assert audit["items"][1]["before"]["status"] == "ACTIVE" and audit["items"][1]["after"]["status"] == "PARKED"
    first = api.client.get(f"/v1.0/tenants/{tid}/audit", params={"pageSize": 1}, headers=h).json()
    rest = api.client.get(
        f"/v1.0/tenants/{tid}/audit", params={"pageSize": 100, "startAt": first["startAt"]}, headers=h
    ).json()
    assert [a["auditId"] for a in first["items"] + rest["items"]] == [a["auditId"] for a in audit["items"]]
    ops = api.client.get(f"/v1.0/tenants/{tid}/operations", headers=h).json()["items"]
    assert [o["operationType"] for o in ops] == ["TENANT_UNPARK", "TENANT_PARK"]


def test_idempotency_replay_and_duplicate_names(api: ApiHarness) -> None:
    h = {**api.admin(), "Idempotency-Key": rid("key")}
    body: dict[str, Any] = {"organizationName": rid("Once"), "contactEmail": "a@example.com"}
    first = api.client.post("/v1.0/tenants", headers=h, json=body)
    replay = api.client.post("/v1.0/tenants", headers=h, json=body)
    assert first.status_code == replay.status_code == 201
    assert replay.json()["tenantId"] == first.json()["tenantId"]
    assert replay.headers["location"] == first.headers["location"]
    other = api.client.post("/v1.0/tenants", headers=h, json={**body, "contactEmail": "b@example.com"})
    assert other.status_code == 422
    listed = api.client.get("/v1.0/tenants", headers=api.admin()).json()["items"]
    assert [t["tenantId"] for t in listed] == [first.json()["tenantId"]]
    dup = api.client.post(
        "/v1.0/tenants", headers=api.admin(), json={**body, "organizationName": body["organizationName"].upper()}
    )
    assert dup.status_code == 409 and dup.json()["code"] == "CONFLICT"
    assert len(api.client.get("/v1.0/tenants", headers=api.admin()).json()["items"]) == 1


def test_a_tenant_read_costs_at_most_three_store_calls(api: ApiHarness) -> None:
    tid = api.create_tenant()["tenantId"]
    callers = {
        "platform admin": api.admin(),
        "tenant viewer": api.member(tid, "VIEWER"),
        "team viewer": api.member(tid, "VIEWER", node_path="div_x/grp_y/team_z"),
    }
    for who, headers in callers.items():
        api.client.get(f"/v1.0/tenants/{tid}", headers=headers)  # warm: nothing cached in the app counts
        before = store_calls(api)
        r = api.client.get(f"/v1.0/tenants/{tid}", headers=headers)
        calls = store_calls(api) - before
        assert r.status_code == 200, (who, r.text)
        assert 1 <= calls <= 3, f"{who}: {calls} store calls for one GET /v1.0/tenants/{{id}}"
    stranger = api.member(api.create_tenant()["tenantId"], "ADMIN")
    before = store_calls(api)
    assert api.client.get(f"/v1.0/tenants/{tid}", headers=stranger).status_code == 404
    assert store_calls(api) - before <= 3
