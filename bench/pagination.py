"""`python -m bench pagination`: a page deep in 1,000,000 tenants vs one at 1,000 on SQLite (goal <= 1.5).

Both lists are bulk-seeded with tenant items shaped exactly as the service writes them (a real tenant made by
`service.create_tenant` is the template). The page is fetched through the real list path twice: the service
with the cursor codec and `render_page` (what the route runs), and the HTTP API in process. Each page starts
after a real cursor deep in the list (after the 999,000th tenant of 1,000,000). Seeded files are cached under
`bench/results/`, keyed by size, so reruns start at once.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bbws.core.changes import Actor
from bbws.core.clock import ManualClock, iso
from bbws.core.cursors import CursorCodec, list_scope
from bbws.core.ids import new_id
from bbws.core.pagination import render_page
from bbws.core.store import Item, Key, key_of
from bbws.store.sqlite_store import SqliteStore
from bbws.tenants import keys, service
from bbws.tenants.schemas import TenantCreate
from bbws.tenants.views import tenant_public
from bench.common import RESULTS, Goal, median, micros, percentile, table

GOAL = 1.5
PATH = "/v1.0/tenants"
PAGE_SIZE = 20
CHUNK = 25_000
LAYOUT = 1  # bump when the seeded items change shape, so stale cached files are not reused
# One tenant in twenty of each kind keeps the status lists realistic: most tenants are ACTIVE.
STATUSES = ["ACTIVE"] * 16 + ["SUSPENDED"] * 2 + ["PARKED", "DEPROVISIONED"]
TIERS = ["STANDARD"] * 7 + ["PROFESSIONAL"] * 2 + ["ENTERPRISE"]
FIRST_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z; seeded tenants were made one second apart from then


@dataclass(frozen=True)
class Sizes:
    small: int
    large: int
    iterations: int
    http_iterations: int


FULL = Sizes(small=1_000, large=1_000_000, iterations=2_000, http_iterations=300)
SMOKE = Sizes(small=200, large=2_000, iterations=30, http_iterations=10)


def template() -> Item:
    """A tenant exactly as `service.create_tenant` leaves it (ACTIVE after onboarding)."""
    store = SqliteStore(":memory:")
    item = service.create_tenant(
        store=store,
        clock=ManualClock(),
        actor=Actor.system("bench"),
        data=TenantCreate(organizationName="Template Org", contactEmail="ops@example.com", metadata={"plan": "bench"}),
    )
    store.close()
    return item


def tenant_item(shape: Item, number: int) -> Item:
    """The `number`th seeded tenant: the service's shape, its own id, name, status, tier and times."""
    ms = FIRST_MS + number * 1000
    tenant_id = new_id("ten", now_ms=ms)
    at = iso(datetime.fromtimestamp(ms / 1000, UTC))
    status, tier = STATUSES[number % len(STATUSES)], TIERS[number % len(TIERS)]
    item = {
        **shape,
        "pk": keys.tenant_pk(tenant_id),
        "tenantId": tenant_id,
        "organizationName": f"Org {number:07d}",
        "tier": tier,
        "status": status,
        "statusReason": "Seeded for the pagination benchmark." if status in ("SUSPENDED", "PARKED") else None,
        "createdAt": at,
        "updatedAt": at,
        "version": 2 if status == "ACTIVE" else 3,
        **keys.tenant_indexes(tenant_id, status, tier),
    }
    if status == "PARKED":
        item.update(parkedAt=at, parkedBy=shape["createdBy"])
    return item


def seeded(size: int, folder: Path) -> Path:
    """A SQLite file holding `size` tenants, made once and then reused (a marker file says it is whole)."""
    path = folder / f"tenants-{size}-v{LAYOUT}.sqlite3"
    marker = path.with_suffix(".done")
    if marker.exists() and path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    shape = template()
    store = SqliteStore(path)
    for first in range(0, size, CHUNK):
        store.bulk_load([tenant_item(shape, n) for n in range(first, min(size, first + CHUNK))])
    store.close()
    marker.write_text(json.dumps({"tenants": size, "layout": LAYOUT}))
    print(f"seeded {size:,} tenants in {time.perf_counter() - started:.1f} s ({path.name})")
    return path


def list_index(status: str | None) -> tuple[str, str]:
    """The index and partition the list reads (as `service.list_tenants` chooses them)."""
    return ("GSI2", f"TENANTS#STATUS#{status}") if status else ("GSI1", keys.ALL_TENANTS)


def deep_key(path: Path, status: str | None) -> tuple[Key, int, int]:
    """The store key a cursor deep in the list carries: after item `max(n - 1000, n // 2)` of the n listed."""
    index, partition = list_index(status)
    column = index.lower()
    conn = sqlite3.connect(path)
    try:
        (count,) = conn.execute(f"SELECT count(*) FROM items WHERE {column}pk = ?", (partition,)).fetchone()
        position = max(count - 1000, count // 2)
        (data,) = conn.execute(
            f"SELECT data FROM items WHERE {column}pk = ? ORDER BY {column}sk, pk, sk LIMIT 1 OFFSET ?",
            (partition, position - 1),
        ).fetchone()
    finally:
        conn.close()
    return key_of(json.loads(data), index), position, count


@dataclass
class Case:
    """One list (all tenants, or one status) on one seeded file, with a cursor deep into it."""

    size: int
    status: str | None
    store: SqliteStore
    codec: CursorCodec
    cursor: str
    after: str
    position: int
    listed: int

    @property
    def filters(self) -> dict[str, str]:
        return {"status": self.status} if self.status else {}


def make_case(size: int, path: Path, status: str | None, store: SqliteStore, codec: CursorCodec) -> Case:
    key, position, listed = deep_key(path, status)
    filters = {"status": status} if status else {}
    cursor = codec.encode(key, list_scope(PATH, filters))
    after = key[f"{list_index(status)[0]}SK"]
    return Case(size, status, store, codec, cursor, after, position, listed)


def page_via_service(case: Case) -> list[Item]:
    """One page as the route makes it: decode the cursor, query through the service, render the response."""
    start = case.codec.start_of(case.cursor, PATH, case.filters)
    page = service.list_tenants(store=case.store, status=case.status, tier=None, limit=PAGE_SIZE, start_after=start)
    render_page(page, codec=case.codec, path=PATH, filters=case.filters, page_size=PAGE_SIZE, render=tenant_public)
    return page.items


def check_page(case: Case, items: Sequence[Item]) -> None:
    """The page must be full and must start right after the cursor, or the timing means nothing."""
    if len(items) != PAGE_SIZE or items[0]["tenantId"] <= case.after:
        raise RuntimeError(f"unexpected page at {case.size:,} (status {case.status}): {len(items)} items")
    if case.status and any(it["status"] != case.status for it in items):
        raise RuntimeError("the status filter let other tenants through")


def timed(fetch: Callable[[Case], object], case: Case, samples: list[float]) -> None:
    started = time.perf_counter()
    fetch(case)
    samples.append(time.perf_counter() - started)


@contextmanager
def http_client(store: SqliteStore, data_dir: Path) -> Iterator[tuple[Any, dict[str, str], CursorCodec]]:
    """The real app in process on `store`: a test client, platform-admin headers, and its cursor codec."""
    from fastapi.testclient import TestClient

    from bbws.app import build_container, create_app
    from bbws.core.settings import Settings

    high = 1_000_000_000
    settings = Settings(
        data_dir=data_dir,
        log_level="WARNING",
        rate_limit_token_per_second=high,
        rate_limit_token_burst=high,
        rate_limit_tenant_per_second=high,
        rate_limit_tenant_burst=high,
    )
    container = build_container(settings, store=store)
    assert container.issuer is not None
    token = container.issuer.mint("bench-admin", groups=["platform-admin"])
    with TestClient(create_app(container=container)) as client:
        yield client, {"Authorization": f"Bearer {token}"}, container.cursors


def page_via_http(client: Any, headers: dict[str, str], case: Case) -> list[Item]:
    query = urlencode({**case.filters, "pageSize": PAGE_SIZE, "startAt": case.cursor})
    response = client.get(f"{PATH}?{query}", headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"GET {PATH} answered {response.status_code}: {response.text[:300]}")
    items: list[Item] = response.json()["items"]
    return items


def compare(
    label: str, pairs: Sequence[tuple[Case, Case]], fetch: Callable[[Case], Sequence[Item]], iterations: int
) -> tuple[list[list[Any]], list[Goal]]:
    """Time `fetch` on the small and the large case of each pair, alternating, and compare the medians."""
    rows: list[list[Any]] = []
    goals: list[Goal] = []
    for small, large in pairs:
        for case in (small, large):
            check_page(case, fetch(case))
        samples: dict[int, list[float]] = {small.size: [], large.size: []}
        for _ in range(iterations):
            for case in (small, large):
                timed(fetch, case, samples[case.size])
        what = f"status={small.status}" if small.status else "all tenants"
        for case in (small, large):
            taken = samples[case.size]
            cursor = f"after {case.position:,} of {case.listed:,}"
            rows.append([label, what, f"{case.size:,}", cursor, micros(median(taken)), micros(percentile(taken, 90))])
        ratio = median(samples[large.size]) / median(samples[small.size])
        goals.append(Goal(f"pagination {label}, {what}: {large.size:,} vs {small.size:,}", ratio, "<=", GOAL))
    return rows, goals


def run(*, sizes: Sizes = FULL, folder: Path | None = None) -> list[Goal]:
    """Run the benchmark and print its figures; return its goals."""
    folder = folder or RESULTS
    paths = {size: seeded(size, folder) for size in (sizes.small, sizes.large)}
    with ExitStack() as stack:
        stores = {size: SqliteStore(path) for size, path in paths.items()}
        for store in stores.values():
            stack.callback(store.close)
        codec = CursorCodec(b"bench-pagination-secret")
        statuses = (None, "ACTIVE")

        def cases(codec_of: Callable[[int], CursorCodec]) -> list[tuple[Case, Case]]:
            return [
                (
                    make_case(sizes.small, paths[sizes.small], status, stores[sizes.small], codec_of(sizes.small)),
                    make_case(sizes.large, paths[sizes.large], status, stores[sizes.large], codec_of(sizes.large)),
                )
                for status in statuses
            ]

        rows, goals = compare("service + render_page", cases(lambda _: codec), page_via_service, sizes.iterations)
        clients = {}
        for size, store in stores.items():
            data_dir = Path(tempfile.mkdtemp(prefix="bench-pagination-"))
            stack.callback(shutil.rmtree, data_dir, True)
            clients[size] = stack.enter_context(http_client(store, data_dir))
        http_pairs = cases(lambda size: clients[size][2])

        def via_http(case: Case) -> Sequence[Item]:
            client, headers, _ = clients[case.size]
            return page_via_http(client, headers, case)

        http_rows, http_goals = compare("HTTP API in process", http_pairs, via_http, sizes.http_iterations)
    print(f"page of {PAGE_SIZE}; fetches per case: {sizes.iterations:,} (service), {sizes.http_iterations:,} (HTTP)")
    print(table(["path", "list", "tenants", "cursor", "median", "p90"], rows + http_rows))
    for goal in goals + http_goals:
        print(goal.line())
    return goals + http_goals


def main(argv: Sequence[str]) -> list[Goal]:
    parser = argparse.ArgumentParser(prog="python -m bench pagination", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds), to check that it runs")
    parser.add_argument("--large", type=int, help="tenants in the large list (default 1,000,000)")
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else FULL
    if args.large:
        sizes = Sizes(sizes.small, args.large, sizes.iterations, sizes.http_iterations)
    return run(sizes=sizes)
