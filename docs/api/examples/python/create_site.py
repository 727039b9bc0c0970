"""Make a site from the `business` template, check it, back it up, promote it to sit, and roll that back."""

import os
import sys
import time
import uuid

import httpx

BASE_URL = os.environ.get("BBWS_URL", "http://127.0.0.1:8080")
TOKEN = os.environ.get("BBWS_TOKEN") or sys.exit("Set BBWS_TOKEN to a bearer token (see authentication.md).")
FINISHED = ("COMPLETED", "FAILED", "CANCELLED")


def wait_for(client: httpx.Client, operation_url: str) -> dict:
    """Read the Operation until it has finished (seconds on one machine, minutes on AWS)."""
    deadline = time.monotonic() + 300
    while True:
        operation = client.get(operation_url).raise_for_status().json()
        if operation["status"] in FINISHED or time.monotonic() > deadline:
            return operation
        time.sleep(0.5)


def run(client: httpx.Client, response: httpx.Response, step: str) -> dict:
    """A 202 answer: wait for its Operation and say how it ended."""
    response.raise_for_status()
    operation = wait_for(client, response.headers["Location"])
    print(f"{step}: {operation['operationType']} {operation['status']}")
    if operation["status"] != "COMPLETED":
        sys.exit(f"{step} failed: {operation['error']}")
    return operation["result"]


def main() -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=BASE_URL, headers=headers, timeout=60) as client:
        name = f"Example Agency {uuid.uuid4().hex[:8]}"
        tenant = client.post("/v1.0/tenants", json={"organizationName": name, "contactEmail": "ops@example.com"})
        tenant_url = tenant.raise_for_status().headers["Location"]
        while client.get(tenant_url).json()["status"] == "PENDING":  # onboarding runs in the background
            time.sleep(0.2)
        for env in ("dev", "sit"):  # a site lives in its tenant's instance for its environment
            run(
                client,
                client.post(f"{tenant_url}/instances", json={"environment": env, "desiredCount": 1}),
                f"instance {env}",
            )

        subdomain = f"acme{uuid.uuid4().hex[:6]}"
        body = {"siteName": "Acme Widgets", "subdomain": subdomain, "environment": "dev", "templateId": "business"}
        result = run(client, client.post(f"{tenant_url}/sites", json=body), "create")
        site = client.get(result["_links"]["site"]["href"]).raise_for_status().json()
        page = httpx.get(site["url"], timeout=10)
        print(f"site {site['subdomain']} is {site['status']}; GET its url: {page.status_code}")
        print(f"theme: {site['declared']['theme']}")

        health = client.post(site["_links"]["health"]["href"]).raise_for_status().json()  # check now
        checks = ", ".join(f"{c['name']} {c['status']}" for c in health["checks"][:3])
        print(f"health: {health['healthStatus']} ({checks})")

        backup = run(client, client.post(site["_links"]["backup"]["href"]), "backup")
        print(f"backup checksum is {len(backup['checksum'])} hex digits")

        plan = client.post(site["_links"]["promote"]["href"], json={"target": "sit"}, params={"dryRun": "true"})
        plan = plan.raise_for_status().json()
        print(
            f"plan: target {'is new' if plan['targetSiteId'] is None else 'exists'}; "
            f"{plan['files']['added']} files to add"
        )
        promoted = run(client, client.post(site["_links"]["promote"]["href"], json={"target": "sit"}), "promote")
        sit = client.get(promoted["_links"]["site"]["href"]).raise_for_status().json()
        same = "yes" if sit["lineageId"] == site["lineageId"] else "no"
        print(f"sit copy {sit['subdomain']} is {sit['status']}; same lineage: {same}")

        promotions = client.get(site["_links"]["promotions"]["href"]).raise_for_status().json()["items"]
        run(client, client.post(promotions[0]["_links"]["rollback"]["href"]), "rollback")
        sit = client.get(f"{tenant_url}/sites/{sit['siteId']}").raise_for_status().json()
        print(f"after the rollback the sit copy is {sit['status']}")


if __name__ == "__main__":
    main()
