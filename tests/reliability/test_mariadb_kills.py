"""The platform's private MariaDB SIGKILLed five times at random moments while sites are being created and cloned:
every operation ends (COMPLETED, or FAILED as RUNTIME_DB_UNAVAILABLE once its retries ran out), the API answers
throughout, `/readyz` says `mariadb` is failing while it is down and ready once it is back, and nothing is left
orphaned. The seed of the kill moments is printed (shown with -s); KILL_TESTS_SEED repeats a run."""

from __future__ import annotations

import json
import os
import random
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bbws.app import build_container
from bbws.core.settings import Settings
from tests.reliability.platform import FINISHED, Platform, gone, sigkill, wait_gone
from tests.reliability.runtime_audit import audit, settled
from tests.support.api import rid

KILLS = 5
SEED = int(os.environ.get("KILL_TESTS_SEED") or random.SystemRandom().randrange(2**32))
KILL_AFTER = (0.1, 0.5)  # seconds after the chosen operation is seen IN_PROGRESS (each takes about a second)
WATCH_EVERY = 0.1
BACK_WITHIN = 90.0  # how long the test waits for the supervisor to bring MariaDB back (a timeout, not a promise)


class Watch(threading.Thread):
    """Asks `/healthz` and a cheap authenticated read every WATCH_EVERY seconds; records what did not answer 200."""

    def __init__(self, platform: Platform, read: str) -> None:
        super().__init__(daemon=True)
        self.platform, self.read = platform, read
        self.asked = 0
        self.wrong: list[tuple[str, Any]] = []
        self.done = threading.Event()

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.platform.token}"}
        with httpx.Client(base_url=self.platform.url, timeout=10, trust_env=False) as client:
            while not self.done.wait(WATCH_EVERY):
                for path, auth in (("/healthz", {}), (self.read, headers)):
                    self.asked += 1
                    try:
                        status: Any = client.get(path, headers=auth).status_code
                    except httpx.TransportError as exc:
                        status = type(exc).__name__
                    if status != 200:
                        self.wrong.append((path, status))

    def finish(self) -> list[tuple[str, Any]]:
        self.done.set()
        self.join(timeout=30)
        return self.wrong


def mariadb_pid(platform: Platform) -> int | None:
    """The private MariaDB's pid as the runtime recorded it, when that process runs on this data dir."""
    try:
        pid = int(json.loads((platform.runtime / "mariadb" / "server.json").read_text())["pid"])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (OSError, ValueError, KeyError, TypeError):
        return None
    ours = f"--datadir={platform.runtime / 'mariadb' / 'data'}" in cmdline
    return pid if ours and not gone(pid) else None


def readyz(platform: Platform) -> tuple[int, dict[str, Any]]:
    try:
        answer = httpx.get(f"{platform.url}/readyz", timeout=10, trust_env=False)
    except httpx.TransportError:
        return 0, {}
    return answer.status_code, answer.json()


def kill_and_watch_readyz(platform: Platform) -> dict[str, float]:
    """SIGKILL MariaDB; returns when /readyz first named it failing and when it was ready again."""
    pid = mariadb_pid(platform)
    assert pid is not None, "MariaDB is not running"
    killed = time.monotonic()
    sigkill(pid)
    wait_gone([pid])
    down_seen = None
    while True:
        status, body = readyz(platform)
        if status == 503 and "mariadb" in body.get("failing", []):
            down_seen = down_seen or time.monotonic()
        elif status == 200 and mariadb_pid(platform) not in (None, pid):
            break
        assert time.monotonic() < killed + BACK_WITHIN, f"MariaDB not back in {BACK_WITHIN} s:\n{platform.tail()}"
        time.sleep(0.03)
    assert down_seen is not None, "/readyz never named mariadb failing while it was down"
    return {"down": down_seen - killed, "back": time.monotonic() - killed}


def test_mariadb_killed_five_times_during_creates_and_clones(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    platform = Platform(tmp_path / "data")
    platform.start()
    watch = None
    try:
        tenant = platform.post("/v1.0/tenants", {"organizationName": rid("Db"), "contactEmail": "o@example.com",
                                                 "tier": "ENTERPRISE"}, expect=201)["tenantId"]
        sites = f"/v1.0/tenants/{tenant}/sites"
        platform.finish(platform.post(f"/v1.0/tenants/{tenant}/instances", {"environment": "dev", "desiredCount": 2}))
        base = platform.finish(platform.post(sites, {"siteName": "Base", "subdomain": rid("b")[:14],
                                                     "environment": "dev"}))["resourceId"]
        watch = Watch(platform, f"/v1.0/tenants/{tenant}")
        watch.start()
        ops: list[dict[str, Any]] = []
        kills = 0
        for number in range(3 * KILLS):  # a pair that finished before its kill landed is followed by another
            if kills == KILLS:
                break
            for op in ops:  # a clone holds its source: the next one waits for the last
                platform.wait(op, timeout=180)
            ops.append(platform.post(sites, {"siteName": f"New {number}", "subdomain": rid("n")[:14],
                                             "environment": "dev"}))
            ops.append(platform.post(f"{sites}/{base}/clone", {"siteName": f"Copy {number}",
                                                               "subdomain": rid("c")[:14]}))
            busy = wait_in_progress(platform, rng.choice(ops[-2:]))  # a create or a clone
            delay = rng.uniform(*KILL_AFTER)
            time.sleep(delay)
            running = [o["operationType"] for o in map(platform.operation, ops[-2:]) if o["status"] == "IN_PROGRESS"]
            if not running:
                print(f"no create or clone was running {delay:.2f} s in; another pair (seed {SEED})")
                continue
            seen = kill_and_watch_readyz(platform)
            kills += 1
            print(f"kill {kills}: {busy} seen in progress, {running} at the kill {delay:.2f} s later; "
                  f"/readyz 503 after {seen['down']:.2f} s, 200 after {seen['back']:.2f} s")
        assert kills == KILLS, f"only {kills} kills landed while a create or clone ran (seed {SEED})"
        ended = [platform.wait(op, timeout=180) for op in ops]
        wrong = watch.finish()
        problems = settled(lambda: audit(data=platform.data, store=store_of(platform), tenant_id=tenant))
    finally:
        if watch is not None:
            watch.finish()
        platform.stop()
    outcomes = [(e["operationType"], e["status"], (e.get("error") or {}).get("code")) for e in ended]
    print(f"seed {SEED}; outcomes: {outcomes}; {watch.asked} API probes")
    assert all(status == "COMPLETED" or code == "RUNTIME_DB_UNAVAILABLE" for _, status, code in outcomes), outcomes
    assert wrong == [], f"the API did not answer while MariaDB was down: {wrong}"
    assert problems == [], "\n".join(problems)


def wait_in_progress(platform: Platform, op: dict[str, Any], timeout: float = 120.0) -> str:
    """The operation's type, once it is IN_PROGRESS (it must not end before it is seen running)."""
    now = platform.wait(op, until={"IN_PROGRESS"} | FINISHED, timeout=timeout)
    assert now["status"] == "IN_PROGRESS", f"{now['operationType']} ended before the kill: {now['status']}"
    return str(now["operationType"])


def store_of(platform: Platform) -> Any:
    return build_container(Settings(data_dir=platform.data, run_worker=False)).store
