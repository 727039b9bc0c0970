"""Retry a create safely with `Idempotency-Key`, and update without losing changes with `If-Match`."""

import os
import sys
import uuid

import httpx

BASE_URL = os.environ.get("BBWS_URL", "http://127.0.0.1:8080")
TOKEN = os.environ.get("BBWS_TOKEN") or sys.exit("Set BBWS_TOKEN to a bearer token (see authentication.md).")


def main() -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=BASE_URL, headers=headers, timeout=30) as client:
        # One key per intended create: resending it (after a timeout, say) cannot make a second tenant.
        key = {"Idempotency-Key": str(uuid.uuid4())}
        body = {"organizationName": f"Example Org {uuid.uuid4().hex[:8]}", "contactEmail": "ops@example.com"}
        first = client.post("/v1.0/tenants", json=body, headers=key)
        again = client.post("/v1.0/tenants", json=body, headers=key)
        tenant_id = first.json()["tenantId"]
        print(f"create: {first.status_code} {tenant_id}")
        replayed = again.headers.get("Idempotent-Replayed")
        print(f"same key, same body: {again.status_code} {again.json()['tenantId']} (Idempotent-Replayed: {replayed})")
        other = client.post("/v1.0/tenants", json={**body, "tier": "ENTERPRISE"}, headers=key)
        print(f"same key, other body: {other.status_code} {other.json()['code']}")

        url = first.headers["Location"]
        etag = first.headers["ETag"]
        updated = client.put(url, json={"tier": "PROFESSIONAL"}, headers={"If-Match": etag})
        print(f"update with If-Match {etag}: {updated.status_code}, tier {updated.json()['tier']}, "
              f"ETag {updated.headers['ETag']}")
        stale = client.put(url, json={"tier": "ENTERPRISE"}, headers={"If-Match": etag})
        print(f"update with stale If-Match {etag}: {stale.status_code} {stale.json()['code']}")
        cached = client.get(url, headers={"If-None-Match": updated.headers["ETag"]})
        print(f"read with If-None-Match {updated.headers['ETag']}: {cached.status_code}")


if __name__ == "__main__":
    main()
