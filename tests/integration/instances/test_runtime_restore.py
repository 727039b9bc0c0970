"""After a restart the instances come back in the background: the worker takes jobs and the API answers at once,
and a job for an instance not back yet waits for its start (so a restore never undoes the job's work)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from bbws.core.driver import DriverResult, InstanceSpec
from bbws.core.ports import Lazy
from bbws.instances.runtime import start_runtime_in_background, stop_runtime
from tests.integration.instances.conftest import InstanceHarness
from tests.support.fake_driver import FakeDriver

WAIT = 30.0


class SlowStarts(FakeDriver):
    """Starts block until `release` is set, as a restart of many real instances takes its time."""

    def __init__(self) -> None:
        super().__init__()
        self.release, self.starting = threading.Event(), threading.Event()

    def start(self, spec: InstanceSpec) -> DriverResult:
        self.starting.set()
        assert self.release.wait(WAIT), "the test never released the start"
        return super().start(spec)


def restarted(api: InstanceHarness) -> tuple[SlowStarts, dict[str, Any]]:
    """An instance that was ACTIVE when the process stopped, and a driver of the new process."""
    tenant = api.active_tenant()
    instance = api.create_instance(tenant["tenantId"])
    driver = SlowStarts()
    api.container.runtime = Lazy.of(driver)  # the new process's driver
    return driver, instance


def test_jobs_run_while_instances_come_back_and_a_job_for_one_not_back_waits_for_it(tmp_path: Path) -> None:
    api = InstanceHarness(tmp_path / "data")
    driver, instance = restarted(api)
    other = api.active_tenant()
    start_runtime_in_background(api.container)  # returns at once: the start runs in its own thread
    try:
        assert driver.starting.wait(WAIT)
        parked = api.wait(api.client.post(f"/v1.0/tenants/{other['tenantId']}/lifecycle/park",
                                          json={"reason": "restore test"}, headers=api.admin()))
        assert parked["status"] == "COMPLETED" and not driver.release.is_set()  # ran before the instance was back

        stop = api.client.put(f"/v1.0/tenants/{instance['tenantId']}/instances/{instance['instanceId']}/status",
                              json={"action": "stop"}, headers=api.admin())
        assert stop.status_code == 202, stop.text
        runner = threading.Thread(target=api.run_jobs, daemon=True)
        runner.start()
        runner.join(0.5)
        assert runner.is_alive() and ("stop", instance["tenantId"], "dev") not in driver.calls  # waits for the start
        driver.release.set()
        runner.join(WAIT)
        assert not runner.is_alive()
    finally:
        driver.release.set()
        stop_runtime(api.container)
    mine = [call[0] for call in driver.calls if call[1] == instance["tenantId"]]
    assert mine == ["start", "stop"]  # the restore's start came first; nothing started it again after the stop
    assert (instance["tenantId"], "dev") not in driver.running
    assert api.get_instance(instance["tenantId"], instance["instanceId"])["status"] == "SUSPENDED"


def test_the_api_answers_before_every_instance_is_back(tmp_path: Path) -> None:
    """`bbws serve`: the lifespan does not wait for the instances to be restarted."""
    api = InstanceHarness(tmp_path / "data")
    driver, instance = restarted(api)
    entered, answers = threading.Event(), []

    def serve() -> None:
        with TestClient(api.app) as client:
            answers.append(client.get("/healthz").status_code)
            entered.set()
            driver.release.wait(WAIT)

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    try:
        assert entered.wait(WAIT) and answers == [200]
        assert driver.starting.wait(WAIT) and not driver.release.is_set()  # answered while the restore runs
    finally:
        driver.release.set()
        server.join(WAIT)
    assert ("start", instance["tenantId"], "dev") in driver.calls  # and then it came back
