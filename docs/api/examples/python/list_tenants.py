"""List every tenant, page by page, following `_links.next` until `moreAvailable` is false.

Usage: list_tenants.py [PAGE_SIZE [STATUS]]
"""

import os
import sys

import httpx

BASE_URL = os.environ.get("BBWS_URL", "http://127.0.0.1:8080")
TOKEN = os.environ.get("BBWS_TOKEN") or sys.exit("Set BBWS_TOKEN to a bearer token (see authentication.md).")


def main() -> None:
    params = {"pageSize": sys.argv[1] if len(sys.argv) > 1 else "20"}
    if len(sys.argv) > 2:
        params["status"] = sys.argv[2]
    headers = {"Authorization": f"Bearer {TOKEN}"}
    count = pages = 0
    with httpx.Client(base_url=BASE_URL, headers=headers, timeout=30) as client:
        response = client.get("/v1.0/tenants", params=params)
        while True:
            response.raise_for_status()
            page = response.json()
            pages += 1
            for tenant in page["items"]:
                print(f"{tenant['tenantId']}  {tenant['status']:<13}  {tenant['organizationName']}")
            count += len(page["items"])
            if not page["moreAvailable"]:
                break
            # The next link carries the same filters and an opaque cursor; use it as it is.
            response = client.get(page["_links"]["next"]["href"])
    print(f"{count} tenants on {pages} pages")


if __name__ == "__main__":
    main()
