"""`bbws serve` SIGKILLed while a site operation is IN_PROGRESS (alone, or with every process it started) and
started again on the same data dir: the operation ends within TERMINAL_WITHIN of the restart, the sites and
the runtime agree with its outcome (nothing duplicated, nothing orphaned), and a restore or a promotion over an
existing site never takes the live site away from its visitors.

Every episode prints its timings and the seed of the kill moments (shown with -s); KILL_TESTS_SEED repeats a run.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from bbws.app import build_container
from bbws.core.settings import Settings
from bbws.core.store import ItemStore
from tests.integration.runtime.helpers import get
from tests.reliability.platform import FINISHED, Platform
from tests.reliability.runtime_audit import audit, settled
from tests.support.api import rid

TERMINAL_WITHIN = 30.0  # the product's promise: an operation a kill interrupted ends this soon after the restart
KILL_AFTER = (0.2, 1.5)  # seconds after the operation is seen IN_PROGRESS
PROBE_EVERY = 0.2
SEED = int(os.environ.get("KILL_TESTS_SEED") or random.SystemRandom().randrange(2**32))
KINDS = ("create", "clone", "backup", "restore", "promote", "apply-template", "delete")
MODES = ("control-plane", "process-tree")
TRIES = 4  # an operation that finished before its kill landed is followed by another, killed sooner
PROBED = {"restore", "promote", "apply-template"}  # replace a live site: it must keep answering


@dataclass
class World:
    platform: Platform
    store: ItemStore
    tenant: str
    sites: dict[str, dict[str, Any]] = field(default_factory=dict)  # role -> site
    took: dict[str, float] = field(default_factory=dict)  # kind -> seconds its unkilled run was IN_PROGRESS
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))

    def path(self, *parts: str) -> str:
        return "/".join((f"/v1.0/tenants/{self.tenant}/sites", *parts))

    def site(self, site_id: str) -> dict[str, Any]:
        return self.platform.get(self.path(site_id))

    def kill_after(self, kind: str) -> float:
        """A moment inside the operation: KILL_AFTER, but never past ~60% of how long the unkilled run took."""
        high = min(KILL_AFTER[1], 0.6 * self.took[kind])
        low = min(KILL_AFTER[0], high / 2)
        return self.rng.uniform(low, high)


def start(world: World, kind: str, role: str = "") -> tuple[dict[str, Any], str | None]:
    """Ask for one operation of `kind`; (its operation, the URL of the live site it replaces, if any)."""
    p, sites = world.platform, world.sites
    if kind == "create":
        body = {"siteName": "Kill", "subdomain": rid("k")[:14], "environment": "dev"}
        return p.post(world.path(), body), None
    if kind == "clone":
        body = {"subdomain": rid("c")[:14], "siteName": "Copy"}
        return p.post(world.path(sites["base"]["siteId"], "clone"), body), None
    if kind == "backup":
        return p.post(world.path(sites["base"]["siteId"], "backup")), None
    if kind == "restore":
        site = sites["restorable"]
        return p.post(world.path(site["siteId"], "restore"), {"backupId": site["backupId"]}), site["url"]
    if kind == "promote":
        return p.post(world.path(sites["promo"]["siteId"], "promote"), {"target": "sit"}), sites["target"]["url"]
    if kind == "apply-template":
        site = sites["themed"]
        return p.post(world.path(site["siteId"], "apply-template"), {"templateId": "business"}), site["url"]
    assert kind == "delete"
    return p.delete(world.path(sites[role]["siteId"])), None


def run(world: World, kind: str, role: str = "") -> dict[str, Any]:
    """One operation of `kind`, unkilled, which must complete; how long it was IN_PROGRESS is noted."""
    op, _ = start(world, kind, role)
    world.platform.wait(op, until={"IN_PROGRESS"} | FINISHED)
    began = time.monotonic()
    done = world.platform.finish(op)
    world.took[kind] = time.monotonic() - began
    return done


def create(world: World, role: str, environment: str = "dev") -> dict[str, Any]:
    body = {"siteName": role.title(), "subdomain": rid(role[:4])[:14], "environment": environment}
    op = world.platform.finish(world.platform.post(world.path(), body))
    world.sites[role] = world.site(op["resourceId"])
    return world.sites[role]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    began = time.monotonic()
    platform = Platform(tmp_path_factory.mktemp("cp-kills") / "data")
    platform.start()
    try:
        body = {"organizationName": rid("Kills"), "contactEmail": "o@example.com", "tier": "ENTERPRISE"}
        tenant = platform.post("/v1.0/tenants", body, expect=201)  # ENTERPRISE: room for every episode's sites
        store = build_container(Settings(data_dir=platform.data, run_worker=False)).store
        w = World(platform=platform, store=store, tenant=tenant["tenantId"])
        for env in ("dev", "sit", "prod"):
            platform.finish(platform.post(f"/v1.0/tenants/{w.tenant}/instances",
                                          {"environment": env, "desiredCount": 2}))
        # each kind runs once unkilled: it must work at all, and it tells how long the kill window may be
        w.sites["base"] = w.site(run(w, "create")["resourceId"])
        for role in ("promo", "restorable", "themed", "doomed-control-plane", "doomed-process-tree"):
            create(w, role)
        w.sites["spare"] = w.site(run(w, "clone")["result"]["siteId"])
        backup = platform.finish(platform.post(w.path(w.sites["restorable"]["siteId"], "backup")))
        w.sites["restorable"]["backupId"] = backup["result"]["backupId"]
        run(w, "backup")
        run(w, "restore")
        first = platform.finish(platform.post(w.path(w.sites["promo"]["siteId"], "promote"), {"target": "sit"}))
        w.sites["target"] = w.site(first["result"]["targetSiteId"])
        run(w, "promote")  # over the existing target, like every episode
        run(w, "apply-template")
        run(w, "delete", "spare")
        problems = settled(lambda: audit(data=platform.data, store=store, tenant_id=w.tenant))
        assert problems == [], "\n".join(problems)
        print(f"\nseed {SEED}; setup {time.monotonic() - began:.1f} s; unkilled runs (s): "
              + ", ".join(f"{k} {v:.2f}" for k, v in w.took.items()))
        yield w
    finally:
        platform.stop()


class Probe(threading.Thread):
    """GETs a site every PROBE_EVERY seconds and records (when it asked, the status or None when nothing
    answered)."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.seen: list[tuple[float, int | None]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            asked = time.monotonic()
            status, _ = get(self.url)
            self.seen.append((asked, status))
            self.done.wait(max(0.0, asked + PROBE_EVERY - time.monotonic()))

    def finish(self) -> list[tuple[float, int | None]]:
        self.done.set()
        self.join(timeout=30)
        return self.seen


def expected_status(kind: str, outcome: str) -> set[str]:
    """What the operation's site may be once the operation ended as `outcome`."""
    if outcome == "COMPLETED":
        return {"DELETED"} if kind == "delete" else {"ACTIVE"}
    if kind == "backup":
        return {"ACTIVE"}  # a failed backup changed nothing
    return {"FAILED", "ACTIVE"}  # ACTIVE: a failure found before anything changed


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", KINDS)
def test_a_kill_during_an_operation_leaves_it_terminal_and_consistent(world: World, kind: str, mode: str) -> None:
    p, tree = world.platform, mode == "process-tree"
    if p.process is None or p.process.poll() is not None:  # an earlier episode stopped half way
        p.start()
    earlier = set(audit(data=p.data, store=world.store, tenant_id=world.tenant))  # failed an earlier episode
    began = time.monotonic()
    probe: Probe | None = None
    try:
        for attempt in range(TRIES):
            if kind == "delete" and attempt:
                create(world, f"doomed-{mode}-{attempt}")
            role = f"doomed-{mode}" + (f"-{attempt}" if attempt else "")
            op, live_url = start(world, kind, role)
            if live_url and probe is None:
                probe = Probe(live_url)
                probe.start()
            p.wait(op, until={"IN_PROGRESS"} | FINISHED)
            in_progress = time.monotonic()
            delay = world.kill_after(kind) * 0.5**attempt  # missed: the next one is killed sooner
            time.sleep(delay)
            before = p.operation(op)["status"]
            if before == "IN_PROGRESS":
                break
            print(f"\n{kind} / {mode}: {before} before the kill {delay:.2f} s in; another one (seed {SEED})")
        p.kill(tree=tree)
        killed = time.monotonic()
        assert before == "IN_PROGRESS", f"{kind} was {before} before the kill {TRIES} times (seed {SEED})"
        answered = p.start()
        ended, back = wait_terminal_and_serving(p, op)
        took = time.monotonic() - answered
        assert took <= TERMINAL_WITHIN, f"{kind}: terminal {took:.1f} s after the restart:\n{p.tail()}"
        problems = settled(lambda: [x for x in audit(data=p.data, store=world.store, tenant_id=world.tenant)
                                    if x not in earlier])
    finally:
        seen = probe.finish() if probe else []
    site_id = world.sites["target"]["siteId"] if kind == "promote" else ended["resourceId"]
    site = world.site(site_id)
    error = (ended.get("error") or {}).get("detail") or ""
    print(f"\n{kind} / {mode}: {ended['status']} {error}; IN_PROGRESS after {in_progress - began:.2f} s, killed "
          f"{delay:.2f} s in, serve answered {answered - killed:.2f} s after the kill, terminal {took:.2f} s "
          f"later, web runtime back {back - answered:.2f} s after it answered; {len(seen)} probes: "
          f"{sorted({s for _, s in seen}, key=str)}")
    assert ended["status"] in FINISHED - {"CANCELLED"}, ended
    assert site["status"] in expected_status(kind, ended["status"]), (site, ended)
    assert problems == [], f"{kind} / {mode} left:\n" + "\n".join(problems)
    if ended["status"] == "COMPLETED" and kind != "delete":
        assert get(site["url"])[0] == 200, site
    if kind == "backup" and ended["status"] == "COMPLETED":
        listed = p.get(world.path(site_id, "backups") + "?pageSize=100")["items"]
        assert [b["status"] for b in listed if b["backupId"] == ended["result"]["backupId"]] == ["COMPLETED"]
    if probe:
        check_probes(seen, tree=tree, back=back)


def wait_terminal_and_serving(p: Platform, op: dict[str, Any]) -> tuple[dict[str, Any], float]:
    """The operation once terminal, and when `/readyz` first said the web runtime serves again (the instances are
    brought back in the background after a restart). Waits TERMINAL_WITHIN and a margin at most."""
    deadline, back = time.monotonic() + TERMINAL_WITHIN + 5, None
    while True:
        now = p.operation(op)
        if back is None:
            ready = httpx.get(f"{p.url}/readyz", timeout=10, trust_env=False).json()
            back = time.monotonic() if ready["checks"].get("web", {}).get("status") == "ok" else None
        if now["status"] in FINISHED and back is not None:
            return now, back
        assert time.monotonic() < deadline, f"{now['status']}, web runtime back: {back is not None}\n{p.tail()}"
        time.sleep(0.05)


def check_probes(seen: list[tuple[float, int | None]], *, tree: bool, back: float) -> None:
    """The control plane alone killed: every probe 200. The whole tree: the web server dies too, so nothing
    answering is allowed until `/readyz` says the web runtime is back, and from then on every probe answers 200;
    never a 404 or a 5xx (nor any other status)."""
    assert seen, "the site was never probed"
    wrong = [(round(at - seen[0][0], 2), status) for at, status in seen
             if status != 200 and (not tree or status is not None or at >= back)]
    assert wrong == [], f"probes that did not answer 200 (seconds into the episode, status): {wrong}"
