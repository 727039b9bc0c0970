"""`python -m bench api`: requests/s of `GET /v1.0/tenants/{id}` on our server vs a bare FastAPI app (goal >= 0.7).

Both are real uvicorn servers in subprocesses on free loopback ports, with the same worker count and log
settings, reading the same row of the same SQLite file. The same client loads both: warm-up first, then
rounds that alternate between the servers (so drift on the machine hits both alike), a fixed number of
requests per round, each round bounded in time. The ratio compares the median rounds.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bench import profile
from bench.common import RESULTS, Goal, median
from bench.load import LoadClient, Round

ROOT = Path(__file__).resolve().parent.parent
GOAL = 0.7
HIGH = "1000000000"  # rate limits high enough never to throttle a benchmark


@dataclass(frozen=True)
class Sizes:
    warmup: int
    requests: int
    rounds: int
    clients: int
    time_limit: float


FULL = Sizes(warmup=2_000, requests=8_000, rounds=5, clients=4, time_limit=60.0)
SMOKE = Sizes(warmup=50, requests=200, rounds=1, clients=2, time_limit=20.0)


@dataclass(frozen=True)
class Fixture:
    data_dir: Path
    tenant_id: str
    token: str


def prepare(data_dir: Path) -> Fixture:
    """A data dir holding one tenant created through the service, and a platform-admin token from its issuer."""
    from bbws.app import build_container
    from bbws.core.changes import Actor
    from bbws.core.issuer import LocalIssuer
    from bbws.core.settings import Settings
    from bbws.tenants import service
    from bbws.tenants.schemas import TenantCreate

    settings = Settings(data_dir=data_dir)
    container = build_container(settings)
    tenant = service.create_tenant(
        store=container.store,
        clock=container.clock,
        actor=Actor.system("bench"),
        data=TenantCreate(organizationName="Bench Org", contactEmail="ops@example.com", metadata={"plan": "bench"}),
    )
    container.store.close()
    issuer = LocalIssuer.load_or_create(data_dir, issuer=settings.issuer, audience=settings.audience)
    token = issuer.mint("bench-admin", groups=["platform-admin"], ttl_seconds=3600)
    return Fixture(data_dir=data_dir, tenant_id=tenant["tenantId"], token=token)


def server_env(name: str, fixture: Fixture) -> dict[str, str]:
    # Start from a clean slate: a developer's own BBWS_* settings must not change what is measured.
    env = {k: v for k, v in os.environ.items() if not k.startswith("BBWS_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    if name == "ours":
        env.update(
            BBWS_DATA_DIR=str(fixture.data_dir),
            BBWS_LOG_LEVEL="WARNING",
            BBWS_RATE_LIMIT_TOKEN_PER_SECOND=HIGH,
            BBWS_RATE_LIMIT_TOKEN_BURST=HIGH,
            BBWS_RATE_LIMIT_TENANT_PER_SECOND=HIGH,
            BBWS_RATE_LIMIT_TENANT_BURST=HIGH,
        )
    else:
        env["BENCH_SQLITE_PATH"] = str(fixture.data_dir / "bbws.sqlite3")
    return env


@dataclass
class Server:
    name: str
    process: subprocess.Popen[str]
    port: int


def _wait_healthy(port: int, process: subprocess.Popen[str], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server on port {port} not healthy after {timeout:.0f} s")


@contextmanager
def running(name: str, fixture: Fixture, workers: int, log: IO[str]) -> Iterator[Server]:
    """A server subprocess, stopped (by its own pid) when the block ends."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.servers", name, "--workers", str(workers)],
        cwd=ROOT,
        env=server_env(name, fixture),
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.isdigit():
            raise RuntimeError(f"{name} server did not report its port (got {line!r}); see its log")
        server = Server(name, process, int(line))
        _wait_healthy(server.port, process)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process and its children so far (Linux `/proc`; None elsewhere)."""
    try:
        pids = [pid]
        for task in Path(f"/proc/{pid}/task").iterdir():
            pids += [int(p) for p in (task / "children").read_text().split()]
        ticks = 0
        for each in pids:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        return None


def check_answer(server: Server, path: str, headers: dict[str, str], tenant_id: str) -> None:
    """Both servers must really return the tenant, or the comparison means nothing."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    if response.status != 200 or json.loads(body).get("tenantId") != tenant_id:
        raise RuntimeError(f"{server.name} answered {response.status}: {body[:300]!r}")


def run(*, sizes: Sizes = FULL, workers: int = 1, log_dir: Path | None = None, profiled: bool = False) -> list[Goal]:
    """Run the benchmark and print its figures; return its goal. `profiled`: then sample our server with py-spy."""
    log_dir = log_dir or RESULTS
    log_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        data_dir = Path(tempfile.mkdtemp(prefix="bench-api-"))
        stack.callback(shutil.rmtree, data_dir, True)
        fixture = prepare(data_dir)
        path = f"/v1.0/tenants/{fixture.tenant_id}"
        headers = {"Authorization": f"Bearer {fixture.token}"}
        log = stack.enter_context((log_dir / "api-servers.log").open("w"))
        servers = [stack.enter_context(running(name, fixture, workers, log)) for name in ("ours", "bare")]
        for server in servers:
            check_answer(server, path, headers, fixture.tenant_id)
        client = stack.enter_context(LoadClient(sizes.clients))
        print(
            f"GET {path}: {sizes.clients} client processes (one keep-alive connection each), "
            f"{workers} uvicorn worker(s) per server, {sizes.requests:,} requests per round"
        )
        for server in servers:
            client.run(server.port, path, headers, sizes.warmup, sizes.time_limit)
        # Other work on the machine moves req/s a lot on a small box; say how busy it was.
        print("load average before the rounds: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        rates: dict[str, list[float]] = {"ours": [], "bare": []}
        cpus: dict[str, list[float]] = {"ours": [], "bare": []}
        for number in range(1, sizes.rounds + 1):
            for server in servers:
                before = cpu_seconds(server.process.pid)
                result = client.run(server.port, path, headers, sizes.requests, sizes.time_limit)
                after = cpu_seconds(server.process.pid)
                cpu = (after - before) / result.ok if before is not None and after is not None and result.ok else None
                _report_round(number, server.name, result, sizes.requests, cpu)
                rates[server.name].append(result.per_second)
                if cpu is not None:
                    cpus[server.name].append(cpu)
        ours, bare = median(rates["ours"]), median(rates["bare"])
        print(f"median: ours {ours:,.0f} req/s, bare FastAPI {bare:,.0f} req/s")
        if cpus["ours"] and cpus["bare"]:
            ours_cpu, bare_cpu = median(cpus["ours"]), median(cpus["bare"])
            print(
                f"server CPU per request (median): ours {ours_cpu * 1e6:,.0f} us, bare {bare_cpu * 1e6:,.0f} us; "
                f"bare/ours {bare_cpu / ours_cpu:.2f} (less sensitive than req/s to other load on the machine)"
            )
        goal = Goal("api GET /v1.0/tenants/{id} ours/bare", ours / bare if bare else 0.0, ">=", GOAL)
        print(goal.line())
        if profiled:
            _profile(servers[0], client, path, headers, sizes, ours, log_dir)
    return [goal]


def _profile(
    server: Server, client: LoadClient, path: str, headers: dict[str, str], sizes: Sizes, rate: float, log_dir: Path
) -> None:
    """One more round on our server under py-spy; print where its time goes."""
    seconds = max(2, int(sizes.requests / rate) - 1) if rate else 2
    raw = log_dir / "api-profile.txt"
    sampler = profile.record(server.process.pid, seconds, raw)
    time.sleep(0.5)  # let py-spy attach before the load starts
    client.run(server.port, path, headers, sizes.requests, sizes.time_limit)
    _, errors = sampler.communicate(timeout=seconds + 30)
    if sampler.returncode != 0 or not raw.exists():
        print(f"py-spy failed: {errors.decode(errors='replace').strip()[-500:]}")
        return
    print(f"profile of ours ({seconds} s of load; raw stacks in {raw}):")
    print(profile.summarize(raw))


def _report_round(number: int, name: str, result: Round, asked: int, cpu: float | None) -> None:
    note = "" if result.ok == asked else f"  (only {result.ok:,} of {asked:,} answered 200 in time)"
    cpu_note = f", server CPU {cpu * 1e6:,.0f} us/request" if cpu is not None else ""
    print(
        f"round {number} {name:<4}: {result.ok:,} in {result.seconds:.2f} s = {result.per_second:,.0f} req/s"
        f"{cpu_note}{note}"
    )
    if result.failed:
        raise RuntimeError(f"{name}: {result.failed} requests failed, first: {result.first_error}")


def main(argv: Sequence[str]) -> list[Goal]:
    parser = argparse.ArgumentParser(prog="python -m bench api", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds), to check that it runs")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers per server (the same for both)")
    parser.add_argument("--clients", type=int, help="client processes")
    parser.add_argument("--requests", type=int, help="requests per round")
    parser.add_argument("--rounds", type=int, help="measured rounds per server")
    parser.add_argument("--profile", action="store_true", help="then sample our server with py-spy")
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else FULL
    sizes = Sizes(
        warmup=sizes.warmup,
        requests=args.requests or sizes.requests,
        rounds=args.rounds or sizes.rounds,
        clients=args.clients or sizes.clients,
        time_limit=sizes.time_limit,
    )
    return run(sizes=sizes, workers=args.workers, profiled=args.profile)
