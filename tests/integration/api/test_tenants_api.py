"""Tenant API over HTTP on SQLite: create, read, list, update, lifecycle, audit and the shared conventions."""

from __future__ import annotations

from tests.support.api import ApiHarness, rid


def test_create_answers_201_with_location_etag_and_active_status(api: ApiHarness) -> None:
    name = rid("Acme")
    r = api.client.post(
        "/v1.0/tenants",
        headers=api.admin(),
        json={
            "organizationName": name,
            "contactEmail": "ops@acme.example",
            "tier": "PROFESSIONAL",
            "metadata": {"costCenter": "CC-1"},
        },
    )
    assert r.status_code == 201
    body = r.json()
    assert r.headers["location"] == f"/v1.0/tenants/{body['tenantId']}"
    assert r.headers["etag"] == f'"{body["version"]}"'
    assert body["status"] == "ACTIVE" and body["tier"] == "PROFESSIONAL"
    assert {"park", "suspend", "delete", "self"} <= set(body["_links"])
    assert "unpark" not in body["_links"]
    audit = api.client.get(f"/v1.0/tenants/{body['tenantId']}/audit", headers=api.admin()).json()
    assert [a["action"] for a in audit["items"]] == ["tenant.activated", "tenant.created"]
    assert audit["items"][1]["after"]["status"] == "PENDING"


def test_duplicate_organization_name_is_409_case_insensitive(api: ApiHarness) -> None:
    name = rid("Dup")
    api.create_tenant(organizationName=name)
    r = api.client.post(
        "/v1.0/tenants", headers=api.admin(), json={"organizationName": name.upper(), "contactEmail": "a@example.com"}
    )
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "CONFLICT"


def test_bad_input_is_400_with_field_errors_and_changes_nothing(api: ApiHarness) -> None:
    before = api.client.get("/v1.0/tenants", headers=api.admin()).json()["items"]
    cases = [
        {"organizationName": "x", "contactEmail": "a@example.com"},
        {"organizationName": rid("Ok"), "contactEmail": "not-an-email"},
        {"organizationName": rid("Ok"), "contactEmail": "a@example.com", "tier": "GOLD"},
        {"organizationName": rid("Ok"), "contactEmail": "a@example.com", "unknown": 1},
        {"organizationName": "y" * 101, "contactEmail": "a@example.com"},
        {"organizationName": 12, "contactEmail": "a@example.com"},
    ]
    for body in cases:
        r = api.client.post("/v1.0/tenants", headers=api.admin(), json=body)
        assert r.status_code == 400, (body, r.text)
        problem = r.json()
        assert problem["code"] == "VALIDATION_ERROR" and problem["errors"] and problem["requestId"]
    r = api.client.post("/v1.0/tenants", headers={**api.admin(), "content-type": "application/json"}, content=b"{oops")
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "body"
    assert api.client.get("/v1.0/tenants", headers=api.admin()).json()["items"] == before


def test_lifecycle_follows_the_state_machine(api: ApiHarness) -> None:
    tenant = api.create_tenant()
    tid, h = tenant["tenantId"], api.admin()
    r = api.client.post(f"/v1.0/tenants/{tid}/lifecycle/park", headers=h, json={"reason": "Client asked to pause"})
    assert r.status_code == 202
    op = r.json()
    assert op["status"] == "PENDING" and op["operationType"] == "TENANT_PARK" and "cancel" in op["_links"]
    assert r.headers["location"] == f"/v1.0/operations/{op['operationId']}"
    busy = api.client.post(f"/v1.0/tenants/{tid}/lifecycle/park", headers=h, json={"reason": "Client asked to pause"})
    assert busy.status_code == 409 and busy.json()["operationId"] == op["operationId"]
    done = api.wait(r)
    assert done["status"] == "COMPLETED" and done["result"]["status"] == "PARKED" and "cancel" not in done["_links"]
    parked = api.client.get(f"/v1.0/tenants/{tid}", headers=h).json()
    assert parked["status"] == "PARKED" and parked["parkedBy"] == "platform-admin"
    assert "unpark" in parked["_links"] and "park" not in parked["_links"]
    bad = api.client.post(f"/v1.0/tenants/{tid}/lifecycle/suspend", headers=h, json={"reason": "Overdue invoice"})
    assert bad.status_code == 422
    assert bad.json()["currentStatus"] == "PARKED"
    assert set(bad.json()["allowedTransitions"]) == {"ACTIVE", "DEPROVISIONED"}
    api.wait(api.client.post(f"/v1.0/tenants/{tid}/lifecycle/unpark", headers=h))
    short = api.client.post(f"/v1.0/tenants/{tid}/lifecycle/suspend", headers=h, json={"reason": "short"})
    assert short.status_code == 400
    api.wait(api.client.delete(f"/v1.0/tenants/{tid}", headers=h))
    gone = api.client.get(f"/v1.0/tenants/{tid}", headers=h).json()
    assert gone["status"] == "DEPROVISIONED" and "update" not in gone["_links"]
    assert api.client.delete(f"/v1.0/tenants/{tid}", headers=h).status_code == 422
    ops = api.client.get(f"/v1.0/tenants/{tid}/operations", headers=h).json()["items"]
    assert [o["operationType"] for o in ops] == ["TENANT_DELETE", "TENANT_UNPARK", "TENANT_PARK"]


def test_update_with_if_match_and_etag(api: ApiHarness) -> None:
    tenant = api.create_tenant()
    tid, h = tenant["tenantId"], api.admin()
    r = api.client.get(f"/v1.0/tenants/{tid}", headers=h)
    etag = r.headers["etag"]
    assert api.client.get(f"/v1.0/tenants/{tid}", headers={**h, "If-None-Match": etag}).status_code == 304
    stale = api.client.put(f"/v1.0/tenants/{tid}", headers={**h, "If-Match": '"999"'}, json={"tier": "ENTERPRISE"})
    assert stale.status_code == 412 and stale.json()["code"] == "PRECONDITION_FAILED"
    ok = api.client.put(f"/v1.0/tenants/{tid}", headers={**h, "If-Match": etag}, json={"tier": "ENTERPRISE"})
    assert ok.status_code == 200 and ok.json()["tier"] == "ENTERPRISE" and ok.headers["etag"] != etag
    assert api.client.put(f"/v1.0/tenants/{tid}", headers=h, json={}).status_code == 422
    listed = api.client.get("/v1.0/tenants", headers=h, params={"tier": "ENTERPRISE"}).json()["items"]
    assert [t["tenantId"] for t in listed] == [tid]


def test_rename_keeps_names_unique(api: ApiHarness) -> None:
    a, b = api.create_tenant(), api.create_tenant()
    h = api.admin()
    r = api.client.put(f"/v1.0/tenants/{b['tenantId']}", headers=h, json={"organizationName": a["organizationName"]})
    assert r.status_code == 409
    new = rid("Renamed")
    assert (
        api.client.put(f"/v1.0/tenants/{a['tenantId']}", headers=h, json={"organizationName": new}).status_code == 200
    )
    # the old name is free again
    old = api.client.put(f"/v1.0/tenants/{b['tenantId']}", headers=h, json={"organizationName": a["organizationName"]})
    assert old.status_code == 200


def test_pagination_walks_every_tenant_once_and_rejects_forged_cursors(api: ApiHarness) -> None:
    created = {api.create_tenant()["tenantId"] for _ in range(7)}
    h, seen, url = api.admin(), [], "/v1.0/tenants?pageSize=3"
    while url:
        page = api.client.get(url, headers=h).json()
        seen += [t["tenantId"] for t in page["items"]]
        url = page["_links"].get("next", {}).get("href")
        assert page["moreAvailable"] == bool(url)
    assert len(seen) == len(set(seen)) and created <= set(seen)
    first = api.client.get("/v1.0/tenants", headers=h, params={"pageSize": 2}).json()
    cursor = first["startAt"]
    forged = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")
    for bad in (forged, "garbage", cursor + "x"):
        r = api.client.get("/v1.0/tenants", headers=h, params={"startAt": bad})
        assert r.status_code == 400 and r.json()["code"] == "INVALID_PAGINATION_TOKEN"
    # a cursor is bound to its filter
    r = api.client.get("/v1.0/tenants", headers=h, params={"startAt": cursor, "status": "ACTIVE"})
    assert r.status_code == 400
    assert api.client.get("/v1.0/tenants", headers=h, params={"pageSize": 0}).status_code == 400
    assert api.client.get("/v1.0/tenants", headers=h, params={"pageSize": 101}).status_code == 400


def test_idempotency_key_replays_and_refuses_other_bodies(api: ApiHarness) -> None:
    h = {**api.admin(), "Idempotency-Key": rid("key")}
    body = {"organizationName": rid("Idem"), "contactEmail": "a@example.com"}
    first = api.client.post("/v1.0/tenants", headers=h, json=body)
    again = api.client.post("/v1.0/tenants", headers=h, json=body)
    assert first.status_code == again.status_code == 201
    assert again.json()["tenantId"] == first.json()["tenantId"]
    assert again.headers["idempotent-replayed"] == "true"
    other = api.client.post("/v1.0/tenants", headers=h, json={**body, "tier": "ENTERPRISE"})
    assert other.status_code == 422 and other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_request_id_is_echoed_or_made(api: ApiHarness) -> None:
    r = api.client.get("/v1.0/tenants", headers={**api.admin(), "X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    made = api.client.get("/v1.0/tenants/ten_00000000000000000000000000", headers=api.admin())
    assert made.status_code == 404 and made.json()["requestId"] == made.headers["x-request-id"]
    assert made.json()["code"] == "TENANT_NOT_FOUND"


def test_body_size_limit_is_413(tmp_path) -> None:
    small = ApiHarness(tmp_path / "d", max_body_bytes=2048)
    r = small.client.post(
        "/v1.0/tenants",
        headers=small.admin(),
        json={
            "organizationName": "Big",
            "contactEmail": "a@example.com",
            "metadata": {
                "k": "v" * 400,
                "k2": "v" * 400,
                "k3": "v" * 400,
                "k4": "v" * 400,
                "k5": "v" * 400,
                "k6": "v" * 400,
            },
        },
    )
    assert r.status_code == 413 and r.json()["code"] == "PAYLOAD_TOO_LARGE"


def test_rate_limits_answer_429_with_retry_after(tmp_path) -> None:
    tight = ApiHarness(tmp_path / "d", rate_limit_token_per_second=0.5, rate_limit_token_burst=3)
    h = tight.admin()
    statuses = [tight.client.get("/v1.0/tenants", headers=h) for _ in range(5)]
    assert [r.status_code for r in statuses][:3] == [200, 200, 200]
    assert statuses[0].headers["ratelimit-limit"] == "3"
    limited = statuses[-1]
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert limited.json()["code"] == "RATE_LIMITED"


def test_unknown_route_and_method_are_problems(api: ApiHarness) -> None:
    r = api.client.get("/v1.0/nothing-here", headers=api.admin())
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    r = api.client.patch("/v1.0/tenants", headers=api.admin())
    assert r.status_code == 405
