"""`python -m bench [NAME|all] [options]`: run a benchmark and print its figures and ratios against their goals.

Exit status: 0 when every goal is met, 1 when one is missed, 2 for a usage error.
"""

from __future__ import annotations

import importlib
import sys
import time
import warnings
from collections.abc import Callable, Sequence

from bench.common import Goal

# name -> (module, what it measures)
BENCHMARKS: dict[str, tuple[str, str]] = {
    "api": ("bench.api", "GET /v1.0/tenants/{id} requests/s, ours vs a bare FastAPI app on the same SQLite row"),
    "pagination": ("bench.pagination", "a page deep in 1,000,000 tenants vs one at 1,000 (SQLite)"),
    "dynamo-calls": ("bench.dynamo_calls", "store calls per request on DynamoDB (moto server)"),
    "queue": ("bench.queue", "jobs/s through the SQLite queue + worker vs INSERT+DELETE; enqueue->handler latency"),
    "events": ("bench.events", "events/s through the relay + webhook dispatcher to a local receiver vs a bare sender"),
    "instance-site": ("bench.instance_site", "WordPress site install vs a shell script; warm GETs vs plain php -S"),
    "sites": ("bench.sites", "site create from a template and clone through the API vs the same steps raw"),
    "coldstart": ("bench.coldstart", "a fresh process answering one GET through the tenant Lambda vs a bare resolver"),
}


def runner(name: str) -> Callable[[Sequence[str]], list[Goal]]:
    module = importlib.import_module(BENCHMARKS[name][0])
    main: Callable[[Sequence[str]], list[Goal]] = module.main
    return main


def usage() -> str:
    width = max(len(n) for n in BENCHMARKS)
    lines = ["usage: python -m bench NAME [--smoke] [options]   (python -m bench NAME --help for options)", ""]
    lines += [f"  {name.ljust(width)}  {about}" for name, (_, about) in BENCHMARKS.items()]
    lines.append(f"  {'all'.ljust(width)}  every benchmark above, one after another")
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    # The in-process benchmarks use FastAPI's TestClient, whose import warns about httpx; not news here.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    if not argv or argv[0] in ("-h", "--help", "list"):
        print(usage())
        return 0
    name, rest = argv[0], list(argv[1:])
    if name != "all" and name not in BENCHMARKS:
        print(f"unknown benchmark {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    goals: list[Goal] = []
    for each in BENCHMARKS if name == "all" else [name]:
        print(f"== {each}: {BENCHMARKS[each][1]}", flush=True)
        started = time.perf_counter()
        goals += runner(each)(rest)
        print(f"({each} took {time.perf_counter() - started:.1f} s)\n", flush=True)
    if name == "all":
        print("summary:")
        for goal in goals:
            print(f"  {goal.line()}")
    return 0 if all(g.met for g in goals) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
