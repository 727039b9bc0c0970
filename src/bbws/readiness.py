"""`GET /readyz`: whether this process can do its work now (store, worker, local runtime), naming what cannot."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from bbws.core.container import Container
from bbws.jobs.heartbeat import Heartbeats

log = logging.getLogger("bbws.app")

READY, UNAVAILABLE = "ready", "unavailable"

Probe = Callable[[], dict[str, Any]]


def _store_check(container: Container) -> dict[str, Any]:
    container.store.get("READYZ", "PROBE")  # a cheap read by key; an absent item is the normal answer
    return {"status": "ok"}


def _worker_check(container: Container) -> dict[str, Any]:
    """Some worker (in this process or another sharing the store) has beaten within two leases, and no live
    worker's job loop is stalled (no poll and no step report for its stall limit). On SQS without an in-process
    worker the consumers are Lambda functions, which keep no heartbeat: not checked."""
    settings = container.settings
    if settings.queue == "sqs" and not settings.run_worker:
        return {"status": "skipped", "detail": "jobs run in SQS-driven consumers"}
    records, now = Heartbeats(container.store).all(), time.time()
    limit = 2 * settings.job_lease_seconds
    if not records:
        return {"status": "failing", "detail": "no worker has a heartbeat"}
    age = now - max(float(r.get("beatAt", 0)) for r in records)
    if age > limit:
        return {"status": "failing", "detail": f"no worker heartbeat for {age:.0f} s (limit {limit:.0f} s)",
                "heartbeatAgeSeconds": round(age, 1)}
    stalled = _stalled(records, now=now, live_within=limit, default_stall=settings.worker_stall_seconds)
    if stalled is not None:
        idle, stall = stalled
        return {"status": "failing", "heartbeatAgeSeconds": round(age, 1), "stalledSeconds": round(idle, 1),
                "detail": f"a worker's job loop has made no progress for {idle:.0f} s (limit {stall:.0f} s); "
                          "its watchdog hands the job back and starts a fresh loop"}
    return {"status": "ok", "heartbeatAgeSeconds": round(age, 1)}


def _stalled(
    records: list[dict[str, Any]], *, now: float, live_within: float, default_stall: float
) -> tuple[float, float] | None:
    """The longest stall (seconds without progress, and that worker's limit) among live workers, if any."""
    worst: tuple[float, float] | None = None
    for record in records:
        if record.get("progressAt") is None or now - float(record.get("beatAt", 0)) > live_within:
            continue  # a dead worker is the heartbeat's concern; an old record tells nothing about progress
        idle, stall = now - float(record["progressAt"]), float(record.get("stallSeconds") or default_stall)
        if idle > stall and (worst is None or idle > worst[0]):
            worst = (idle, stall)
    return worst


def _runtime_checks(container: Container) -> dict[str, Probe]:
    """MariaDB and the web runtime, when this host runs WordPress itself (the local runtime)."""
    from bbws.instances.local.driver import LocalDriver
    from bbws.instances.probes import mariadb_check, web_check

    if container.settings.runtime != "local":
        return {}
    driver = container.runtime.get()
    if not isinstance(driver, LocalDriver):
        return {}
    return {"mariadb": lambda: mariadb_check(driver), "web": lambda: web_check(driver, container.store)}


def readiness(container: Container) -> dict[str, Any]:
    """`{"status": "ready"|"unavailable", "checks": {name: {"status": "ok"|"failing"|"skipped", ...}}}`; a check
    that raises is failing with the exception's type only (its message may carry paths or tenant data)."""
    probes: dict[str, Probe] = {
        "store": lambda: _store_check(container),
        "worker": lambda: _worker_check(container),
    }
    try:
        probes.update(_runtime_checks(container))
    except Exception as exc:  # the driver could not even be built
        reason = f"runtime unavailable ({type(exc).__name__})"
        probes["runtime"] = lambda: {"status": "failing", "detail": reason}
    checks: dict[str, Any] = {}
    for name, probe in probes.items():
        try:
            checks[name] = probe()
        except Exception as exc:
            log.warning("readiness check failed", extra={"check": name, "error": repr(exc)})
            checks[name] = {"status": "failing", "detail": f"{name} check raised {type(exc).__name__}"}
    failing = [name for name, check in checks.items() if check["status"] == "failing"]
    answer: dict[str, Any] = {"status": UNAVAILABLE if failing else READY, "checks": checks}
    if failing:
        answer["failing"] = failing
    return answer
