"""`python -m bench dynamo-calls`: store calls per request on DynamoDB (a moto server); goal <= 3 for the GET.

The real app runs in process on the DynamoDB adapter (`Settings(store="dynamodb")`), and `store.counters()` is
read before and after each request. Every request is made several times (fresh tenants for the writes) and
the largest count is shown, so a call made only sometimes is not missed.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import Goal, table
from bench.dynamo_local import REGION, dynamodb_client, moto_endpoint

GOAL = 3
TABLE = "bbws-bench"
KINDS = ("get", "batch_get", "query", "put", "delete", "transact")


@dataclass
class Probe:
    """One kind of request and the store calls its worst repetition made."""

    label: str
    goal: int | None = None
    status: int = 0
    calls: Counter[str] = field(default_factory=Counter)

    def record(self, status: int, calls: Counter[str]) -> None:
        if not self.status or sum(calls.values()) >= sum(self.calls.values()):
            self.status, self.calls = status, calls

    @property
    def total(self) -> int:
        return sum(self.calls.values())


class Meter:
    """Sends requests to the in-process app and counts the store calls each one made."""

    def __init__(self, client: Any, store: Any) -> None:
        self.client, self.store = client, store

    def send(self, probe: Probe, method: str, url: str, headers: dict[str, str], body: Any = None) -> Any:
        before = Counter(self.store.counters())
        response = self.client.request(method, url, headers=headers, json=body)
        after = Counter(self.store.counters())
        after.subtract(before)
        probe.record(response.status_code, +after)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {url} answered {response.status_code}: {response.text[:300]}")
        return response


def measure(meter: Meter, *, admin: dict[str, str], member_of: Any, repeat: int) -> list[Probe]:
    """Create, read, list and park tenants; one probe per kind of request."""
    count = max(repeat, 5)
    create = Probe("POST /v1.0/tenants (platform admin)")
    get_admin = Probe("GET /v1.0/tenants/{id} (platform admin)", GOAL)
    get_member = Probe("GET /v1.0/tenants/{id} (tenant VIEWER)", GOAL)
    list_admin = Probe("GET /v1.0/tenants (platform admin)")
    list_member = Probe("GET /v1.0/tenants (VIEWER in 1 tenant)")
    list_many = Probe(f"GET /v1.0/tenants (VIEWER in {count} tenants)")
    park = Probe("POST /v1.0/tenants/{id}/lifecycle/park (platform admin)")
    tenants = []
    for n in range(count):
        body = {"organizationName": f"Bench Org {n}", "contactEmail": "ops@example.com"}
        tenants.append(meter.send(create, "POST", "/v1.0/tenants", admin, body).json()["tenantId"])
    member = member_of(tenants[0])
    for _ in range(repeat):
        meter.send(get_admin, "GET", f"/v1.0/tenants/{tenants[0]}", admin)
        meter.send(get_member, "GET", f"/v1.0/tenants/{tenants[0]}", member)
        meter.send(list_admin, "GET", "/v1.0/tenants?pageSize=20", admin)
        meter.send(list_member, "GET", "/v1.0/tenants?pageSize=20", member)
    for tenant_id in tenants[1:]:
        member_of(tenant_id)
    for _ in range(repeat):
        meter.send(list_many, "GET", "/v1.0/tenants?pageSize=20", member)
    for tenant_id in tenants[:repeat]:
        reason = {"reason": "Parked by the store-calls benchmark."}
        meter.send(park, "POST", f"/v1.0/tenants/{tenant_id}/lifecycle/park", admin, reason)
    return [get_admin, get_member, list_admin, list_member, list_many, create, park]


def run(*, repeat: int = 3) -> list[Goal]:
    """Run the benchmark and print its table; return its goals."""
    from fastapi.testclient import TestClient

    from bbws.app import build_container, create_app
    from bbws.core.changes import Actor
    from bbws.core.settings import Settings
    from bbws.store.dynamodb_store import DynamoDbStore
    from bbws.tenants.roles import grant_role

    with ExitStack() as stack:
        endpoint = stack.enter_context(moto_endpoint())
        data_dir = Path(tempfile.mkdtemp(prefix="bench-dynamo-"))
        stack.callback(shutil.rmtree, data_dir, True)
        store = DynamoDbStore(TABLE, client=dynamodb_client(endpoint), region=REGION)
        store.ensure_schema()
        high = 1_000_000_000
        settings = Settings(
            data_dir=data_dir,
            store="dynamodb",
            dynamodb_table=TABLE,
            aws_region=REGION,
            aws_endpoint_url=endpoint,
            log_level="WARNING",
            rate_limit_token_per_second=high,
            rate_limit_token_burst=high,
            rate_limit_tenant_per_second=high,
            rate_limit_tenant_burst=high,
        )
        container = build_container(settings, store=store)
        issuer = container.issuer
        assert issuer is not None
        client = stack.enter_context(TestClient(create_app(container=container)))

        def member_of(tenant_id: str) -> dict[str, str]:
            sub = "bench-viewer"
            actor = Actor.system("bench")
            grant_role(store=store, clock=container.clock, actor=actor, tenant_id=tenant_id, user_id=sub, role="VIEWER")
            return {"Authorization": f"Bearer {issuer.mint(sub)}"}

        admin = {"Authorization": f"Bearer {issuer.mint('bench-admin', groups=['platform-admin'])}"}
        probes = measure(Meter(client, store), admin=admin, member_of=member_of, repeat=repeat)
    rows = [
        [p.label, p.status, *(p.calls.get(k, 0) for k in KINDS), p.total, f"<= {p.goal}" if p.goal else "-"]
        for p in probes
    ]
    print(f"DynamoDB calls per request (moto server; the largest of {repeat} repetitions):")
    print(table(["request", "HTTP", *KINDS, "total", "goal"], rows))
    goals = [Goal(f"dynamo-calls {p.label}", p.total, "<=", p.goal, unit="calls") for p in probes if p.goal]
    for goal in goals:
        print(goal.line())
    return goals


def main(argv: Sequence[str]) -> list[Goal]:
    parser = argparse.ArgumentParser(prog="python -m bench dynamo-calls", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="one repetition of each request")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of each request")
    args = parser.parse_args(argv)
    return run(repeat=1 if args.smoke else args.repeat)
