"""Give a tenant a dev instance, check it answers, stop it, start it, and delete it: each step an Operation."""

import os
import sys
import time
import uuid

import httpx

BASE_URL = os.environ.get("BBWS_URL", "http://127.0.0.1:8080")
TOKEN = os.environ.get("BBWS_TOKEN") or sys.exit("Set BBWS_TOKEN to a bearer token (see authentication.md).")
FINISHED = ("COMPLETED", "FAILED", "CANCELLED")


def wait_for(client: httpx.Client, operation_url: str) -> dict:
    """Read the Operation until it has finished; provisioning takes seconds on one machine, minutes on AWS."""
    deadline = time.monotonic() + 300
    while True:
        operation = client.get(operation_url).raise_for_status().json()
        if operation["status"] in FINISHED or time.monotonic() > deadline:
            return operation
        time.sleep(0.5)


def follow(client: httpx.Client, response: httpx.Response, step: str) -> dict:
    """A 202 answer: wait for its Operation, then read the instance it names."""
    response.raise_for_status()
    operation = wait_for(client, response.headers["Location"])
    print(f"{step}: {operation['operationType']} {operation['status']} - {operation['message']}")
    if operation["status"] != "COMPLETED":
        sys.exit(f"{step} failed: {operation['error']}")
    return client.get(operation["result"]["_links"]["instance"]["href"]).raise_for_status().json()


def act(client: httpx.Client, instance: dict, action: str, body: dict | None = None) -> dict:
    """Follow the instance's `_links` entry for an action; it is only there when the status allows it."""
    link = instance["_links"].get(action) or sys.exit(f"{action} is not allowed while {instance['status']}")
    return follow(client, client.request(link["method"], link["href"], json=body), action)


def answers(url: str) -> str:
    try:
        return str(httpx.get(url, timeout=5).status_code)
    except httpx.TransportError:
        return "no answer"


def main() -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=BASE_URL, headers=headers, timeout=30) as client:
        name = f"Example Agency {uuid.uuid4().hex[:8]}"
        tenant = client.post("/v1.0/tenants", json={"organizationName": name, "contactEmail": "ops@example.com"})
        tenant_url = tenant.raise_for_status().headers["Location"]
        while client.get(tenant_url).json()["status"] == "PENDING":  # onboarding runs in the background
            time.sleep(0.2)
        created = client.post(f"{tenant_url}/instances", json={"environment": "dev", "desiredCount": 2})
        instance = follow(client, created, "create")
        print(f"instance {instance['instanceId']} is {instance['status']} with {instance['runningCount']} workers")
        print(f"GET {instance['url']}: {answers(instance['url'])}")
        instance = act(client, instance, "stop", {"action": "stop"})
        print(f"stopped: {instance['status']}; GET the url: {answers(instance['url'])}")
        instance = act(client, instance, "start", {"action": "start"})
        print(f"started: {instance['status']}; GET the url: {answers(instance['url'])}")
        instance = act(client, instance, "delete")
        print(f"deleted: {instance['status']}")


if __name__ == "__main__":
    main()
