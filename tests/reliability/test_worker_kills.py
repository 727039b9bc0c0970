"""SIGKILL the worker at random points while it runs 200 jobs, 20 times over: nothing lost, nothing applied twice.

Each job's effect happens exactly once (the handler is idempotent) or the job is in the DLQ with its error; each
job's Operation says which; every committed change has its event in the tenant's event log, relayed out of the
outbox, and every event reaches the tenant's webhook endpoint, signed (a receiver on a loopback port checks).
"""

from __future__ import annotations

import json
import os
import random
import selectors
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook

from bbws.app import build_container
from bbws.client import WebhookVerificationError, verify_webhook
from bbws.core.changes import OUTBOX_SHARDS, Actor, Changes
from bbws.core.container import Container
from bbws.core.ids import new_id
from bbws.core.queue import Job
from bbws.core.settings import Settings
from bbws.core.store import ItemStore
from bbws.events.outbox import enqueue
from bbws.jobs import operations as ops
from bbws.notifications import keys as webhook_keys
from bbws.notifications import webhooks
from bbws.notifications.webhooks_schemas import WebhookCreate
from bbws.tenants import service
from bbws.tenants.schemas import TenantCreate
from tests.reliability import handlers
from tests.reliability.receiver import WebhookReceiver
from tests.support.api import rid

ROOT = Path(__file__).resolve().parents[2]
JOBS = 200
KILLS = 20
FAILING = 10  # 5% raise on every attempt and end in the DLQ
TENANTS = 4
DRAIN_SECONDS = 120.0
NEVER_ACKED = "not acknowledged within the visibility timeout"  # the DLQ's reason for a job whose workers all died


@dataclass
class Plan:
    seed: int
    tenants: list[str]
    jobs: list[Job] = field(default_factory=list)

    @property
    def failing(self) -> set[str]:
        return {j.message_id for j in self.jobs if j.payload.get("fail")}

    @property
    def good(self) -> set[str]:
        return {j.message_id for j in self.jobs} - self.failing


# -- the worker process


def worker_env(data_dir: Path) -> dict[str, str]:
    # A developer's own BBWS_* settings must not leak into the worker under test.
    env = {k: v for k, v in os.environ.items() if not k.startswith("BBWS_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), str(ROOT / "src"), env.get("PYTHONPATH", "")) if p)
    env.update(BBWS_WEBHOOKS_ALLOW_LOOPBACK="true", BBWS_LOG_LEVEL="WARNING")
    return env


@contextmanager
def worker_process(
    data_dir: Path, log: Path, extra_env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[str]]:
    """A worker subprocess, built and about to run when the block starts; killed (by its pid) at the end."""
    with log.open("a") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.worker_main", str(data_dir)],
            cwd=ROOT,
            env={**worker_env(data_dir), **(extra_env or {})},
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
    try:
        _wait_ready(process, log)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


def _wait_ready(process: subprocess.Popen[str], log: Path, timeout: float = 60.0) -> None:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout) or process.stdout.readline().strip() != "ready":
            raise AssertionError(f"the worker did not start; its log ends with:\n{_tail(log)}")


def _tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"


# -- setting up


def tenants_with_endpoints(container: Container, receiver: WebhookReceiver) -> list[str]:
    """Tenants made by the service, each with a webhook endpoint for every event on the receiver."""
    actor, tenant_ids = Actor.system("reliability"), []
    for _ in range(TENANTS):
        tenant = service.create_tenant(
            store=container.store, clock=container.clock, actor=actor,
            data=TenantCreate(organizationName=f"Reliability {rid()}", contactEmail="ops@example.com"),
        )
        path = f"/hooks/{tenant['tenantId']}"
        endpoint = webhooks.create_webhook(
            store=container.store, clock=container.clock, actor=actor, tenant=tenant, allow_private=True,
            data=WebhookCreate(url=receiver.url(path), eventTypes=["*"]),
        )
        receiver.secrets[path] = endpoint["secret"]
        tenant_ids.append(tenant["tenantId"])
    return tenant_ids


def enqueue_jobs(container: Container, plan: Plan, count: int, failing: set[int], rng: random.Random) -> None:
    """Queue jobs the way services do: the Operation and the job (outbox) in one transaction each."""
    for _ in range(count):
        number = len(plan.jobs)
        message_id, tenant_id = new_id("msg"), rng.choice(plan.tenants)
        changes = Changes(actor=Actor.system("reliability"), now=container.clock.now())
        operation = ops.start_operation(
            changes, tenant_id=tenant_id, operation_type="RELIABILITY_EFFECT", resource_type="effect",
            resource_id=message_id,
        )
        job = Job(
            name=handlers.JOB, tenant_id=tenant_id, payload={"fail": number in failing, "number": number},
            operation_id=operation["operationId"], message_id=message_id,
        )
        enqueue(changes, job)
        changes.commit(container.store)
        plan.jobs.append(job)


# -- reading the outcome


def query_all(store: ItemStore, pk: str, sk_prefix: str) -> list[dict[str, Any]]:
    items, after = [], None
    while True:
        page = store.query(pk, sk_prefix=sk_prefix, limit=500, start_after=after)
        items += page.items
        if page.last_key is None:
            return items
        after = page.last_key


def outbox_items(store: ItemStore) -> list[dict[str, Any]]:
    return [i for shard in range(OUTBOX_SHARDS) for i in query_all(store, f"OUTBOX#{shard}", "")]


def logged_events(store: ItemStore, plan: Plan) -> list[dict[str, Any]]:
    return [i["event"] for t in plan.tenants for i in query_all(store, f"TENANT#{t}", "EVENT#")]


def unfinished(container: Container, plan: Plan, receiver: WebhookReceiver) -> list[str]:
    """What still has to happen: relaying, queued or in-flight jobs, unfinished operations, undelivered events."""
    store, left = container.store, []
    if outbox := outbox_items(store):
        left.append(f"{len(outbox)} outbox items")
    depth = container.queue.depth()
    if depth.get("visible") or depth.get("inFlight"):
        left.append(f"queue {depth}")
    statuses = Counter(str((ops.get_operation(store, str(j.operation_id)) or {}).get("status")) for j in plan.jobs)
    if set(statuses) - {s.value for s in ops.FINISHED}:
        left.append(f"operations {dict(statuses)}")
    if undelivered := {e["id"] for e in logged_events(store, plan)} - set(receiver.delivered):
        left.append(f"{len(undelivered)} events not delivered")
    if due := store.query(webhook_keys.DUE_INDEX, index="GSI1", limit=10).items:
        left.append(f"webhook deliveries due: {[d['status'] for d in due]}")
    return left


def drain(container: Container, plan: Plan, receiver: WebhookReceiver, data_dir: Path, log: Path) -> None:
    """A last worker runs until everything is done (bounded: a stuck job fails the test with what is left)."""
    with worker_process(data_dir, log) as process:
        deadline = time.monotonic() + DRAIN_SECONDS
        while left := unfinished(container, plan, receiver):
            assert process.poll() is None, f"the final worker died; its log ends with:\n{_tail(log)}"
            assert time.monotonic() < deadline, f"not drained after {DRAIN_SECONDS:.0f} s: {left} (seed {plan.seed})"
            time.sleep(0.2)


def _few(ids: set[str]) -> str:
    return f"{len(ids)}: {sorted(ids)[:5]}"


# -- the test


def test_sigkilled_workers_lose_nothing_apply_nothing_twice_and_deliver_every_event(tmp_path: Path) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    data_dir, log = tmp_path / "data", tmp_path / "worker.log"
    container = build_container(Settings(data_dir=data_dir))
    with WebhookReceiver() as receiver:
        plan = Plan(seed=seed, tenants=tenants_with_endpoints(container, receiver))
        failing = set(rng.sample(range(JOBS), FAILING))
        # The first rounds bring the jobs in batches (so the relay is killed mid-way too) and leave a backlog,
        # so every kill lands on a busy worker: in a handler, in bookkeeping, relaying or delivering webhooks.
        for _ in range(KILLS):
            if len(plan.jobs) < JOBS:
                enqueue_jobs(container, plan, JOBS // 4, failing, rng)
            with worker_process(data_dir, log) as process:
                time.sleep(rng.uniform(0.05, 0.4))
                assert process.poll() is None, f"the worker exited on its own; its log ends with:\n{_tail(log)}"
                process.send_signal(signal.SIGKILL)
        drain(container, plan, receiver, data_dir, log)

        dead = check_jobs(container, plan)
        check_operations(container.store, plan, dead)
        check_events(container.store, plan)
        check_deliveries(container.store, plan, receiver)
    check_tampering_is_refused(receiver)


def check_jobs(container: Container, plan: Plan) -> dict[str, str]:
    """Every good job applied its effect exactly once; every failing one is in the DLQ with its error; none lost.
    A good job only reaches the DLQ when its worker was killed on each of its 3 receives (then it says so)."""
    store, effects, applied, attempts = container.store, set(), Counter(), Counter()
    for tenant_id in plan.tenants:
        effects |= {i["messageId"] for i in query_all(store, f"TENANT#{tenant_id}", "EFFECT#")}
        applied.update(i["sk"].split("#")[1] for i in query_all(store, f"TENANT#{tenant_id}", "APPLIED#"))
        attempts.update(i["sk"].split("#")[1] for i in query_all(store, f"TENANT#{tenant_id}", "ATTEMPT#"))
    print(f"seed {plan.seed}: {sum(attempts[m] > 1 for m in plan.good)} good jobs ran again after a kill")
    dead = {d.job.message_id: d.last_error or "" for d in container.queue.dead_letters(limit=1000)}
    twice = {m: n for m, n in applied.items() if n > 1}
    assert not twice, f"effects applied more than once: {twice} (seed {plan.seed})"
    assert not effects & plan.failing, f"failing jobs with effects: {_few(effects & plan.failing)}"
    assert set(applied) == effects  # each effect was written with its application record
    assert plan.failing <= set(dead), f"failing jobs not in the DLQ: {_few(plan.failing - set(dead))}"
    for message_id in plan.failing:
        assert f"{handlers.FAILURE} {message_id}" in dead[message_id], (message_id, dead[message_id])
    killed_thrice = set(dead) - plan.failing
    assert not killed_thrice - plan.good, f"unknown jobs in the DLQ: {_few(killed_thrice - plan.good)}"
    for message_id in killed_thrice:
        assert NEVER_ACKED in dead[message_id], (message_id, dead[message_id], plan.seed)
    missing = plan.good - effects - killed_thrice
    assert not missing, f"jobs neither applied nor dead-lettered (lost): {_few(missing)} (seed {plan.seed})"
    assert len(effects | set(dead)) == JOBS
    return dead


def check_operations(store: ItemStore, plan: Plan, dead: dict[str, str]) -> None:
    """COMPLETED with the handler's result for applied jobs, FAILED with the error for dead-lettered ones."""
    for job in plan.jobs:
        operation = ops.get_operation(store, str(job.operation_id))
        assert operation is not None
        if job.message_id in dead:
            assert operation["status"] == ops.OperationStatus.FAILED, (operation, dead[job.message_id], plan.seed)
            if job.message_id in plan.failing:
                assert handlers.FAILURE in operation["error"]["detail"], operation
        else:
            assert operation["status"] == ops.OperationStatus.COMPLETED, (operation, plan.seed)
            assert operation["result"]["messageId"] == job.message_id


def check_events(store: ItemStore, plan: Plan) -> None:
    """Each effect committed exactly one event (in the tenant's event log), and the relay handed every event on."""
    effects = {m for t in plan.tenants for m in (i["messageId"] for i in query_all(store, f"TENANT#{t}", "EFFECT#"))}
    applied = [e for e in logged_events(store, plan) if e["type"] == f"bbws.{handlers.ACTION}"]
    per_effect = Counter(e["subject"].removeprefix("effect/") for e in applied)
    assert set(per_effect) == effects, f"effects without their event: {_few(effects - set(per_effect))}"
    assert all(n == 1 for n in per_effect.values()), {m: n for m, n in per_effect.items() if n != 1}
    assert outbox_items(store) == []  # relayed: jobs queued, events handed to the publishers


def check_deliveries(store: ItemStore, plan: Plan, receiver: WebhookReceiver) -> None:
    """Every logged event reached its tenant's endpoint at least once, signed; receivers dedupe by `webhook-id`."""
    assert receiver.rejected == [], receiver.rejected[:5]
    for event in logged_events(store, plan):
        assert receiver.delivered[event["id"]] >= 1, f"event not delivered: {event}"
        path, received = receiver.envelopes[event["id"]]
        assert path == f"/hooks/{event['tenantId']}" and received == event
    redelivered = sum(n - 1 for n in receiver.delivered.values())
    print(f"seed {plan.seed}: {len(receiver.delivered)} events delivered, {redelivered} delivered again")


def check_tampering_is_refused(receiver: WebhookReceiver) -> None:
    """A changed body, or a valid signature over an old timestamp, fails `verify_webhook`."""
    assert receiver.sample is not None
    path, headers, body = receiver.sample
    secret = receiver.secrets[path]
    assert verify_webhook(secret, headers, body)["id"] == headers["webhook-id"]  # as received: valid
    tampered = json.dumps({**json.loads(body), "type": "bbws.tenant.deleted"}).encode()
    with pytest.raises(WebhookVerificationError):
        verify_webhook(secret, headers, tampered)
    old = datetime.now(UTC) - timedelta(minutes=10)
    resigned = {**headers, "webhook-timestamp": str(int(old.timestamp())),
                "webhook-signature": Webhook(secret).sign(headers["webhook-id"], old, body.decode())}
    with pytest.raises(WebhookVerificationError, match=r"(?i)timestamp"):
        verify_webhook(secret, resigned, body)
