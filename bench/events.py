"""`python -m bench events`: events/s through the relay and the webhook dispatcher to a local receiver, vs the same
signed POSTs from a bare sender (goal >= 0.5).

Each round commits a batch of audited changes (each writes its event to the outbox, untimed), then times the
worker's own loop: the relay hands the events to the webhook fan-out (one delivery per endpoint), and the
scheduler (`deliver_due`, run after each loop turn) signs and POSTs them. The receiver is a separate process on
a free loopback port that checks every signature with `verify_webhook` and counts distinct `webhook-id`s; a
round ends when it has seen them all. The bare sender POSTs the same number of events, signed by the same code,
from as many threads as the scheduler uses, each thread with one keep-alive connection.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any

import httpx

from bbws.app import build_container, build_worker
from bbws.core.changes import OUTBOX_SHARDS, Actor, Changes
from bbws.core.clock import iso
from bbws.core.container import Container
from bbws.core.events import Event
from bbws.core.settings import Settings
from bbws.jobs.worker import Worker
from bbws.notifications import delivery, webhooks
from bbws.notifications import keys as webhook_keys
from bbws.notifications.webhooks_schemas import WebhookCreate
from bbws.tenants import service
from bbws.tenants.schemas import TenantCreate
from bench.common import Goal, median, micros, table

GOAL = 0.5
ACTION = "bench.pinged"


@dataclass(frozen=True)
class Sizes:
    events: int
    rounds: int
    time_limit: float


FULL = Sizes(events=500, rounds=3, time_limit=120.0)
SMOKE = Sizes(events=20, rounds=1, time_limit=60.0)


# -- the receiver (a process of its own, so its work does not share our interpreter)


def _serve(conn: Connection, seen: Synchronized[int], rejected: Synchronized[int]) -> None:
    ids: set[str] = set()
    lock = threading.Lock()
    secret: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive for senders that keep their connection

        def do_POST(self) -> None:
            from bbws.client import WebhookVerificationError, verify_webhook

            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                verify_webhook(secret["value"], headers, body)
                code = 204
                with lock:
                    if headers["webhook-id"] not in ids:
                        ids.add(headers["webhook-id"])
                        with seen.get_lock():
                            seen.value += 1
            except WebhookVerificationError:
                code = 400
                with rejected.get_lock():
                    rejected.value += 1
            self.send_response(code)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    conn.send(server.server_address[1])
    secret["value"] = conn.recv()
    server.serve_forever()


@dataclass
class Receiver:
    port: int
    seen: Synchronized[int]
    rejected: Synchronized[int]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def wait_for(self, count: int, time_limit: float) -> None:
        deadline = time.monotonic() + time_limit
        while self.seen.value < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the receiver saw {self.seen.value} of {count} events in {time_limit:.0f} s")
            time.sleep(0.0005)


@contextmanager
def receiver() -> Iterator[tuple[Receiver, Connection]]:
    """The receiver process, told its endpoint's secret through the returned pipe; stopped by its handle."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    seen, rejected = context.Value("i", 0), context.Value("i", 0)
    process = context.Process(target=_serve, args=(theirs, seen, rejected), daemon=True)
    process.start()
    try:
        if not ours.poll(60):
            raise RuntimeError("the receiver did not start")
        yield Receiver(ours.recv(), seen, rejected), ours
    finally:
        process.terminate()
        process.join(10)


# -- the two senders


def commit_events(container: Container, tenant_id: str, count: int) -> None:
    """`count` audited changes, each committing its event to the outbox (as every state change does)."""
    actor = Actor.system("bench")
    for number in range(count):
        changes = Changes(actor=actor, now=container.clock.now())
        changes.audit(tenant_id=tenant_id, action=ACTION, resource_type="bench", resource_id=str(number),
                      event_data={"number": number})
        changes.commit(container.store)


def settle(container: Container, worker: Worker) -> None:
    """Run the worker's loop until nothing is left to relay or deliver."""
    while True:
        worker.run_once()
        outbox = any(container.store.query(f"OUTBOX#{s}", limit=1).items for s in range(OUTBOX_SHARDS))
        if not outbox and not container.store.query(webhook_keys.DUE_INDEX, index="GSI1", limit=1).items:
            return


def dispatcher_round(container: Container, worker: Worker, rx: Receiver, tenant_id: str, sizes: Sizes) -> float:
    commit_events(container, tenant_id, sizes.events)
    target = rx.seen.value + sizes.events
    began = time.perf_counter()
    while rx.seen.value < target:
        worker.run_once()
        if time.perf_counter() - began > sizes.time_limit:
            raise RuntimeError(f"the dispatcher delivered {rx.seen.value - target + sizes.events} events in time")
    return time.perf_counter() - began


def bare_round(rx: Receiver, secret: str, tenant_id: str, sizes: Sizes) -> float:
    """The same number of signed POSTs from `delivery.PARALLEL` threads with a keep-alive client each."""
    events = [Event(type=f"bbws.{ACTION}", tenant_id=tenant_id, subject=f"bench/{n}", data={"number": n},
                    time=iso(datetime.now(UTC))) for n in range(sizes.events)]
    local = threading.local()
    clients: list[httpx.Client] = []

    def send(event: Event) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(timeout=10, trust_env=False)
            clients.append(client)
        payload = json.dumps(event.envelope(), separators=(",", ":"), sort_keys=True)
        headers = delivery.signature_headers(event.id, payload, [secret], datetime.now(UTC))
        client.post(rx.url, content=payload.encode(), headers=headers).raise_for_status()

    target = rx.seen.value + sizes.events
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=delivery.PARALLEL) as pool:
        list(pool.map(send, events))
    rx.wait_for(target, sizes.time_limit)
    seconds = time.perf_counter() - began
    for client in clients:
        client.close()
    return seconds


# -- the benchmark


def run(*, sizes: Sizes = FULL) -> list[Goal]:
    folder = Path(tempfile.mkdtemp(prefix="bench-events-"))
    try:
        with receiver() as (rx, pipe):
            container = build_container(Settings(data_dir=folder, run_worker=False, webhooks_allow_loopback=True))
            tenant = service.create_tenant(
                store=container.store, clock=container.clock, actor=Actor.system("bench"),
                data=TenantCreate(organizationName="Bench Events", contactEmail="ops@example.com"),
            )
            endpoint = webhooks.create_webhook(
                store=container.store, clock=container.clock, actor=Actor.system("bench"), tenant=tenant,
                data=WebhookCreate(url=rx.url, eventTypes=["*"]), allow_private=True,
            )
            pipe.send(endpoint["secret"])
            worker = build_worker(container)
            settle(container, worker)  # the tenant's and endpoint's own events
            return measure(container, worker, rx, tenant["tenantId"], endpoint["secret"], sizes)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def measure(
    container: Container, worker: Worker, rx: Receiver, tenant_id: str, secret: str, sizes: Sizes
) -> list[Goal]:
    print(
        f"{sizes.events:,} events per round, {sizes.rounds} rounds; one webhook endpoint (eventTypes *) on a "
        f"receiver process at {rx.url} that verifies every signature"
    )
    rounds: dict[str, Callable[[], float]] = {
        "dispatcher": lambda: dispatcher_round(container, worker, rx, tenant_id, sizes),
        "bare": lambda: bare_round(rx, secret, tenant_id, sizes),
    }
    rates: dict[str, list[float]] = {name: [] for name in rounds}
    for number in range(1, sizes.rounds + 1):
        for name, measure_round in rounds.items():
            rates[name].append(sizes.events / measure_round())
        print(f"round {number}: " + ", ".join(f"{name} {rates[name][-1]:,.0f} events/s" for name in rounds))
    if rx.rejected.value:
        raise RuntimeError(f"the receiver rejected {rx.rejected.value} deliveries")
    dispatcher, bare = median(rates["dispatcher"]), median(rates["bare"])
    print(table(
        ["median of the rounds", "events/s", "per event"],
        [["relay + webhook dispatcher (the worker's loop)", f"{dispatcher:,.0f}", micros(1 / dispatcher)],
         [f"bare sender ({delivery.PARALLEL} threads, keep-alive)", f"{bare:,.0f}", micros(1 / bare)]],
    ))
    goal = Goal("events/s dispatcher/bare sender", dispatcher / bare if bare else 0.0, ">=", GOAL)
    print(goal.line())
    return [goal]


def main(argv: Sequence[str]) -> list[Goal]:
    parser = argparse.ArgumentParser(prog="python -m bench events", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds), to check that it runs")
    parser.add_argument("--events", type=int, help="events per round")
    parser.add_argument("--rounds", type=int, help="measured rounds per side")
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else FULL
    return run(sizes=Sizes(args.events or sizes.events, args.rounds or sizes.rounds, sizes.time_limit))
