"""`python -m bench queue`: jobs/s through the SQLite queue and worker vs a bare INSERT + DELETE loop (goal >= 0.5).

Throughput: jobs are sent one by one (`SqliteQueue.send`, as each committed change does), then the `Worker` runs
them one at a time as its loop does (`run_once(max_messages=1)`: relay, receive, a no-op handler, ack, ticks; no
Operation). The queue alone (receive + ack) and the worker taking 10 per receive are shown beside it. The bare
loop INSERTs the same number of rows one by one and DELETEs them one by one, on the same SQLite file with the
same pragmas. Rounds alternate; the ratio compares the median rounds of the worker loop and the bare loop.

Latency: a worker thread runs `run()` (relay included) while jobs are enqueued the way services do it, through
the outbox (`enqueue(changes, job)`, plus an Operation in the second series) and a commit followed by the
container's wake-up call; the time from the end of the commit to the start of the handler is measured.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bbws.app import build_container
from bbws.core.changes import Actor, Changes
from bbws.core.container import Container
from bbws.core.handlers import HandlerRegistry, JobContext
from bbws.core.ids import new_id
from bbws.core.queue import Job
from bbws.core.settings import Settings
from bbws.events.outbox import Relay, enqueue
from bbws.jobs import operations as ops
from bbws.jobs.worker import Worker
from bbws.store.sqlite_store import thread_connection
from bench.common import Goal, median, micros, percentile, table

GOAL = 0.5
NOOP = "BenchNoop"


@dataclass(frozen=True)
class Sizes:
    jobs: int
    rounds: int
    latency_samples: int


FULL = Sizes(jobs=5_000, rounds=5, latency_samples=400)
SMOKE = Sizes(jobs=100, rounds=1, latency_samples=10)


@contextmanager
def data_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="bench-queue-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def noop_registry(started: dict[str, float] | None = None) -> HandlerRegistry:
    """A registry of its own with one handler that only notes when it started."""
    registry = HandlerRegistry()

    @registry.register(NOOP)
    def noop(job: Job, ctx: JobContext) -> None:
        if started is not None:
            started[job.message_id] = time.perf_counter()

    return registry


def send_all(container: Container, jobs: int) -> None:
    tenant_id = new_id("ten")
    for _ in range(jobs):
        container.queue.send([Job(name=NOOP, tenant_id=tenant_id)])


def queue_round(container: Container, jobs: int) -> float:
    """Seconds to send `jobs` jobs one by one, then receive and ack them one by one (the queue alone)."""
    began = time.perf_counter()
    send_all(container, jobs)
    while deliveries := container.queue.receive(max_messages=1):
        container.queue.ack(deliveries[0])
    return time.perf_counter() - began


def worker_round(container: Container, worker: Worker, jobs: int, *, batch: int = 1) -> float:
    """Seconds to send `jobs` jobs one by one, then run them all through the worker's loop, `batch` per receive."""
    began = time.perf_counter()
    send_all(container, jobs)
    while worker.run_once(max_messages=batch):
        pass
    return time.perf_counter() - began


def running_worker_round(container: Container, worker: Worker, jobs: int) -> float:
    """Seconds to send `jobs` jobs one by one, then drain them with the worker's own loop (`Worker.run`, as
    `bbws worker` and `bbws serve` run it) in a thread; the queue's depth says when it is done."""
    began = time.perf_counter()
    send_all(container, jobs)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    while sum(container.queue.depth().values()):
        time.sleep(0.002)
    elapsed = time.perf_counter() - began
    worker.stop()
    thread.join()
    worker.stopping.clear()  # the same worker object serves the next rounds
    return elapsed


def bare_round(conn: sqlite3.Connection, jobs: int) -> float:
    """Seconds to INSERT `jobs` rows one by one and DELETE them one by one (autocommit, as the queue does)."""
    ids = [new_id("msg") for _ in range(jobs)]
    began = time.perf_counter()
    for message_id in ids:
        conn.execute("INSERT INTO bare (message_id, body) VALUES (?, ?)", (message_id, "{}"))
    for message_id in ids:
        conn.execute("DELETE FROM bare WHERE message_id=?", (message_id,))
    return time.perf_counter() - began


SERIES = {
    "bare": "bare INSERT + DELETE",
    "queue": "queue alone: send + receive + ack",
    "worker": "worker: send + Worker.run() (10 per receive; relay, ticks on their intervals)",
    "once": "send + run_once(1) each: relay, receive, no-op handler, ack, ticks every job",
}


def throughput(container: Container, sizes: Sizes) -> Goal:
    relay = Relay(store=container.store, queue=container.queue, publishers=container.publishers)
    worker = Worker(container=container, queue=container.queue, registry=noop_registry(), relay=relay.drain)
    conn = thread_connection(threading.local(), str(container.settings.sqlite_path))  # same file, same pragmas
    conn.execute("CREATE TABLE IF NOT EXISTS bare (message_id TEXT PRIMARY KEY, body TEXT NOT NULL)")
    rounds: dict[str, Callable[[int], float]] = {
        "bare": lambda n: bare_round(conn, n),
        "queue": lambda n: queue_round(container, n),
        "worker": lambda n: running_worker_round(container, worker, n),
        "once": lambda n: worker_round(container, worker, n),
    }
    for measure in rounds.values():
        measure(min(200, sizes.jobs))  # warm-up
    rates: dict[str, list[float]] = {name: [] for name in rounds}
    for number in range(1, sizes.rounds + 1):
        for name, measure in rounds.items():
            rates[name].append(sizes.jobs / measure(sizes.jobs))
        print(f"round {number}: " + ", ".join(f"{name} {rates[name][-1]:,.0f}/s" for name in rounds))
    conn.close()
    bare = median(rates["bare"])
    medians = {name: median(values) for name, values in rates.items()}
    rows = [[SERIES[name], f"{rate:,.0f}", micros(1 / rate), f"{rate / bare:.2f}"] for name, rate in medians.items()]
    print(table(["median of the rounds", "jobs/s", "per job", "/ bare"], rows))
    return Goal("queue jobs/s worker loop/bare", median(rates["worker"]) / bare if bare else 0.0, ">=", GOAL)


def _enqueue(container: Container, *, operation: bool) -> tuple[str, float]:
    """Enqueue one job as a service does; returns its message id and the time its commit ended."""
    tenant_id = new_id("ten")
    changes = Changes(actor=Actor.system("bench"), now=container.clock.now())
    op: dict[str, Any] | None = None
    if operation:
        op = ops.start_operation(
            changes, tenant_id=tenant_id, operation_type="BENCH_NOOP", resource_type="bench", resource_id=tenant_id
        )
    job = Job(name=NOOP, tenant_id=tenant_id, operation_id=op["operationId"] if op else None)
    enqueue(changes, job)
    changes.commit(container.store)
    committed = time.perf_counter()
    container.wake()
    return job.message_id, committed


def latency(container: Container, sizes: Sizes) -> list[list[str]]:
    """Enqueue -> handler start, in ms, with a worker thread running its loop; rows of a table."""
    started: dict[str, float] = {}
    relay = Relay(store=container.store, queue=container.queue, publishers=container.publishers)
    worker = Worker(container=container, queue=container.queue, registry=noop_registry(started), relay=relay.drain)
    container.wake = worker.wakeup.set
    thread = threading.Thread(target=worker.run, name="bench-worker", daemon=True)
    thread.start()
    rows = []
    try:
        for operation in (False, True):
            samples = []
            for _ in range(sizes.latency_samples):
                message_id, committed = _enqueue(container, operation=operation)
                deadline = time.monotonic() + 10
                while message_id not in started and time.monotonic() < deadline:
                    time.sleep(0.0002)
                if message_id not in started:
                    raise RuntimeError("a job did not reach its handler within 10 s")
                samples.append((started[message_id] - committed) * 1000)
                time.sleep(0.005)  # let the worker go idle again, as between real requests
            label = "job + Operation" if operation else "job"
            rows.append([label, len(samples), f"{percentile(samples, 50):.2f}", f"{percentile(samples, 99):.2f}",
                         f"{max(samples):.2f}"])
    finally:
        worker.stop()
        thread.join(10)
    return rows


def run(*, sizes: Sizes = FULL) -> list[Goal]:
    with data_dir() as path:
        container = build_container(Settings(data_dir=path, run_worker=False))
        print(f"throughput: {sizes.jobs:,} jobs per round, {sizes.rounds} rounds, SQLite file {path.name}/bbws.sqlite3")
        goal = throughput(container, sizes)
        print(goal.line())
        print(f"\nlatency from the end of the enqueuing commit to the handler's start ({sizes.latency_samples} each):")
        print(table(["enqueued", "samples", "p50 ms", "p99 ms", "max ms"], latency(container, sizes)))
        container.store.close()
    return [goal]


def main(argv: Sequence[str]) -> list[Goal]:
    parser = argparse.ArgumentParser(prog="python -m bench queue", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds), to check that it runs")
    parser.add_argument("--jobs", type=int, help="jobs per throughput round")
    parser.add_argument("--rounds", type=int, help="throughput rounds per side")
    parser.add_argument("--samples", type=int, help="latency samples per series")
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else FULL
    sizes = Sizes(
        jobs=args.jobs or sizes.jobs,
        rounds=args.rounds or sizes.rounds,
        latency_samples=args.samples or sizes.latency_samples,
    )
    return run(sizes=sizes)
