"""Read problem+json errors (code, detail, field errors) and retry after a 429 as `Retry-After` says."""

import os
import sys
import time
import uuid

import httpx

BASE_URL = os.environ.get("BBWS_URL", "http://127.0.0.1:8080")
TOKEN = os.environ.get("BBWS_TOKEN") or sys.exit("Set BBWS_TOKEN to a bearer token (see authentication.md).")
MAX_ATTEMPTS = 10


class ApiProblem(Exception):
    """An error answer: `problem` is the problem+json body (type, title, status, detail, code, requestId...)."""

    def __init__(self, problem: dict) -> None:
        super().__init__(f"{problem['status']} {problem['code']}: {problem['detail']}")
        self.problem = problem


class Api:
    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.waits = 0

    def call(self, method: str, url: str, **kwargs) -> httpx.Response:
        """Send a request; on 429 wait `Retry-After` seconds and send it again; raise ApiProblem on errors."""
        for _ in range(MAX_ATTEMPTS):
            response = self.client.request(method, url, **kwargs)
            if response.status_code != 429:
                break
            delay = int(response.headers.get("Retry-After", "1"))
            self.waits += 1
            print(f"429 {response.json()['code']}: waiting {delay} s")
            time.sleep(delay)
        if response.status_code >= 400:
            if response.headers.get("Content-Type", "").startswith("application/problem+json"):
                raise ApiProblem(response.json())
            response.raise_for_status()
        return response


def report(error: ApiProblem) -> None:
    print(error)
    for field_error in error.problem.get("errors") or []:
        print(f"  {field_error['field']}: {field_error['message']}")
    if "allowedTransitions" in error.problem:
        allowed = ", ".join(error.problem["allowedTransitions"])
        print(f"  currentStatus {error.problem['currentStatus']}; allowed: {allowed}")
    print(f"  requestId {error.problem['requestId']}")


def main() -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=BASE_URL, headers=headers, timeout=30) as client:
        api = Api(client)
        try:  # 400: every field that is wrong is listed in `errors`
            api.call("POST", "/v1.0/tenants", json={"organizationName": "X", "contactEmail": "not-an-email"})
        except ApiProblem as error:
            report(error)
        try:  # 404: a tenant that does not exist, or that this token may not see
            api.call("GET", "/v1.0/tenants/ten_00000000000000000000000000")
        except ApiProblem as error:
            report(error)
        name = f"Example Org {uuid.uuid4().hex[:8]}"
        tenant = api.call("POST", "/v1.0/tenants", json={"organizationName": name, "contactEmail": "ops@example.com"})
        tenant_url = tenant.headers["Location"]
        try:  # 422: the tenant is ACTIVE, so it cannot be unparked
            api.call("POST", f"{tenant_url}/lifecycle/unpark")
        except ApiProblem as error:
            report(error)
        for _ in range(10):
            api.call("GET", tenant_url)
        print(f"10 reads done; waited {api.waits} times after 429")


if __name__ == "__main__":
    main()
