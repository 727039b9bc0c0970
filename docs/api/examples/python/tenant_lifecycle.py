"""Create a tenant, park it, unpark it, and follow each lifecycle change through its Operation."""

import os
import sys
import time
import uuid

import httpx

BASE_URL = os.environ.get("BBWS_URL", "http://127.0.0.1:8080")
TOKEN = os.environ.get("BBWS_TOKEN") or sys.exit("Set BBWS_TOKEN to a bearer token (see authentication.md).")
FINISHED = ("COMPLETED", "FAILED", "CANCELLED")


def wait_for(client: httpx.Client, operation_url: str) -> dict:
    """Read the Operation until it has finished (lifecycle work may run in the background)."""
    deadline = time.monotonic() + 60
    while True:
        response = client.get(operation_url)
        response.raise_for_status()
        operation = response.json()
        if operation["status"] in FINISHED or time.monotonic() > deadline:
            return operation
        time.sleep(1)


def act(client: httpx.Client, tenant: dict, action: str, body: dict | None = None) -> dict:
    """Follow the tenant's `_links` entry for an action; it is only there when the status allows it."""
    link = tenant["_links"].get(action)
    if link is None:
        sys.exit(f"{action} is not allowed while the tenant is {tenant['status']}")
    response = client.request(link["method"], link["href"], json=body)
    response.raise_for_status()  # 202 Accepted: the body is the Operation, Location points at it
    operation = wait_for(client, response.headers["Location"])
    print(f"{action}: operation {operation['operationId']} {operation['status']} - {operation['message']}")
    if operation["status"] != "COMPLETED":
        sys.exit(f"{action} did not complete: {operation['error']}")
    tenant_response = client.get(operation["result"]["_links"]["tenant"]["href"])
    tenant_response.raise_for_status()
    return show(tenant_response.json())


def show(tenant: dict) -> dict:
    actions = [name for name, link in tenant["_links"].items() if "method" in link]
    print(f"tenant {tenant['tenantId']} is {tenant['status']}; actions: {', '.join(actions)}")
    return tenant


def main() -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=BASE_URL, headers=headers, timeout=30) as client:
        name = f"Example Org {uuid.uuid4().hex[:8]}"
        response = client.post("/v1.0/tenants", json={"organizationName": name, "contactEmail": "ops@example.com"})
        response.raise_for_status()
        tenant = response.json()
        print(f"created {tenant['tenantId']} ({name}) at {response.headers['Location']}")
        show(tenant)
        tenant = act(client, tenant, "park", {"reason": "Closed for the season, back in spring"})
        tenant = act(client, tenant, "unpark")


if __name__ == "__main__":
    main()
