"""A worker killed in the middle of site creation, clone and promotion (right after the runtime did its part,
before anything was recorded) leaves no half-made site shown as ACTIVE: the job finishes on its next delivery,
or, when every delivery dies, the operation fails, the site is FAILED and what was made is removed."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bbws.instances.local import naming
from bbws.instances.service import spec_of
from bbws.sites.records import instance_of
from tests.integration.runtime.helpers import port_block
from tests.reliability.test_worker_kills import ROOT, _tail, _wait_ready, worker_env
from tests.support.api import ApiHarness

FINISHED = {"COMPLETED", "FAILED", "CANCELLED"}


class Crashing:
    """The API in this process; the jobs in a worker subprocess that kills itself where it is told to and is
    started again whenever it died, like a supervisor would."""

    def __init__(self, data_dir: Path, ports: str) -> None:
        self.data_dir, self.ports = data_dir, ports
        self.api = ApiHarness(data_dir, instance_ports=ports)
        self.log = data_dir.parent / "worker.log"
        self.process: subprocess.Popen[str] | None = None
        self.crash: dict[str, str] = {}
        self.starts = 0

    def ensure_worker(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        env = {**worker_env(self.data_dir), "BBWS_INSTANCE_PORTS": self.ports, **self.crash}
        with self.log.open("a") as errors:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.reliability.worker_main", str(self.data_dir)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
            )
        self.starts += 1
        _wait_ready(self.process, self.log)

    def stop_worker(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait(timeout=30)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None

    def crash_after(self, calls: str, times: int) -> None:
        self.stop_worker()
        (self.data_dir / "crashes").unlink(missing_ok=True)
        self.crash = {"BBWS_TEST_CRASH": calls, "BBWS_TEST_CRASH_TIMES": str(times)} if calls else {}

    def run(self, response: httpx.Response, timeout: float = 180.0) -> dict[str, Any]:
        """The operation a 202 started, once finished (restarting the worker each time it died)."""
        assert response.status_code == 202, response.text
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.ensure_worker()
            op = self.api.client.get(response.headers["location"], headers=self.api.admin()).json()
            if op["status"] in FINISHED:
                return dict(op)
            time.sleep(0.2)
        raise AssertionError(f"operation did not finish; worker log:\n{_tail(self.log)}")

    def settle(self, seconds: float = 3.0) -> None:
        """Let the worker run follow-up jobs (a clean-up) for a moment."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.ensure_worker()
            time.sleep(0.2)


@pytest.fixture(scope="module")
def crashing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Crashing, str]]:
    block = port_block(100)
    world = Crashing(tmp_path_factory.mktemp("kills") / "data", f"{block.start}-{block.stop - 1}")
    api = world.api
    tenant = api.create_tenant()
    tid = tenant["tenantId"]
    world.run(
        api.client.post(
            f"/v1.0/tenants/{tid}/instances", json={"environment": "dev", "desiredCount": 1}, headers=api.admin()
        )
    )
    world.run(
        api.client.post(
            f"/v1.0/tenants/{tid}/instances", json={"environment": "sit", "desiredCount": 1}, headers=api.admin()
        )
    )
    yield world, tid
    world.stop_worker()
    driver = api.container.runtime.get()
    for env in ("dev", "sit"):
        instance = instance_of(api.container.store, tid, env)
        if instance is not None:
            driver.stop(spec_of(instance))
    driver.db.shutdown()


def sites(tid: str) -> str:
    return f"/v1.0/tenants/{tid}/sites"


def answers(url: str) -> int:
    return httpx.get(url, timeout=15, trust_env=False).status_code


def test_create_clone_and_promote_finish_after_a_kill(crashing: tuple[Crashing, str]) -> None:
    world, tid = crashing
    api = world.api
    world.crash_after("install_site", 1)
    starts = world.starts
    op = world.run(
        api.client.post(
            sites(tid), json={"siteName": "Kill", "subdomain": "kill", "environment": "dev"}, headers=api.admin()
        )
    )
    assert op["status"] == "COMPLETED", op
    assert world.starts >= starts + 2  # it really died once
    site = api.client.get(f"{sites(tid)}/{op['result']['siteId']}", headers=api.admin()).json()
    assert site["status"] == "ACTIVE" and answers(site["url"]) == 200

    world.crash_after("import_site", 1)
    op = world.run(
        api.client.post(
            f"{sites(tid)}/{site['siteId']}/clone",
            json={"subdomain": "killcopy", "siteName": "Copy"},
            headers=api.admin(),
        )
    )
    assert op["status"] == "COMPLETED", op
    copy = api.client.get(f"{sites(tid)}/{op['result']['siteId']}", headers=api.admin()).json()
    assert copy["status"] == "ACTIVE" and answers(copy["url"]) == 200
    assert api.client.get(f"{sites(tid)}/{site['siteId']}", headers=api.admin()).json()["status"] == "ACTIVE"

    world.crash_after("import_site", 1)
    op = world.run(
        api.client.post(f"{sites(tid)}/{site['siteId']}/promote", json={"target": "sit"}, headers=api.admin())
    )
    assert op["status"] == "COMPLETED", op
    target = api.client.get(f"{sites(tid)}/{op['result']['targetSiteId']}", headers=api.admin()).json()
    assert target["status"] == "ACTIVE" and answers(target["url"]) == 200


def test_a_create_that_always_dies_ends_failed_and_cleaned_up(crashing: tuple[Crashing, str]) -> None:
    world, tid = crashing
    api = world.api
    world.crash_after("install_site", 100)
    op = world.run(
        api.client.post(
            sites(tid), json={"siteName": "Doomed", "subdomain": "doomed", "environment": "dev"}, headers=api.admin()
        )
    )
    assert op["status"] == "FAILED", op
    world.crash_after("", 0)
    world.settle()
    site = api.client.get(f"{sites(tid)}/{op['resourceId']}", headers=api.admin()).json()
    assert site["status"] == "FAILED" and site["url"] is None
    instance = instance_of(api.container.store, tid, "dev")
    assert instance is not None
    assert api.container.runtime.get().site_info(spec_of(instance), site["siteId"]) is None
    assert not api.container.runtime.get().db.database_exists(naming.database_name(site["siteId"]))
