"""`bbws worker` as a process: it runs what the API queued on the same data dir, and SIGTERM stops it cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.support.api import ApiHarness

BBWS = Path(sys.executable).parent / "bbws"
DEADLINE = 60.0
REASON = {"reason": "Worker command test: parked"}


def start_worker(data_dir: Path, log: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BBWS_")}
    with log.open("wb") as sink:
        return subprocess.Popen(
            [str(BBWS), "worker", "--data-dir", str(data_dir), *args], stdout=sink, stderr=subprocess.STDOUT, env=env
        )


def wait_for(api: ApiHarness, operation_id: str, process: subprocess.Popen[bytes], log: Path) -> dict[str, Any]:
    """Poll the operation until it is finished (the worker process does the work)."""
    give_up = time.monotonic() + DEADLINE
    while True:
        op = api.client.get(f"/v1.0/operations/{operation_id}", headers=api.admin()).json()
        if op["status"] in ("COMPLETED", "FAILED", "CANCELLED"):
            return dict(op)
        assert process.poll() is None, f"the worker exited early:\n{log.read_text()}"
        assert time.monotonic() < give_up, f"operation still {op['status']}:\n{log.read_text()}"
        time.sleep(0.05)


def stop(process: subprocess.Popen[bytes], log: Path, sig: int = signal.SIGTERM) -> int:
    process.send_signal(sig)
    try:
        return process.wait(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError(f"the worker did not stop after {signal.Signals(sig).name}:\n{log.read_text()}") from None


def park(api: ApiHarness) -> str:
    tenant_id = api.create_tenant()["tenantId"]
    r = api.client.post(f"/v1.0/tenants/{tenant_id}/lifecycle/park", json=REASON, headers=api.admin())
    assert r.status_code == 202, r.text
    return str(r.json()["operationId"])


def test_the_worker_runs_what_the_api_queued_and_stops_on_sigterm(tmp_path: Path) -> None:
    data = tmp_path / "data"
    api = ApiHarness(data, run_worker=False)
    operation_id = park(api)  # queued (in the outbox) before any worker runs
    log = tmp_path / "worker.log"
    process = start_worker(data, log)
    try:
        done = wait_for(api, operation_id, process, log)
        assert done["status"] == "COMPLETED" and done["result"]["status"] == "PARKED"
        later = park(api)  # work queued while it runs is picked up too
        assert wait_for(api, later, process, log)["status"] == "COMPLETED"
    finally:
        code = stop(process, log)
    assert code == 0, log.read_text()
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    messages = [line["message"] for line in lines]
    assert "worker started" in messages and "worker stopped" in messages
    assert any(line.get("signal") == "SIGTERM" for line in lines)


def test_jobs_queued_after_the_worker_stopped_stay_queued(tmp_path: Path) -> None:
    data = tmp_path / "data"
    api = ApiHarness(data, run_worker=False)
    log = tmp_path / "worker.log"
    process = start_worker(data, log, "--concurrency", "2")
    first = park(api)
    wait_for(api, first, process, log)
    assert stop(process, log, signal.SIGINT) == 0, log.read_text()
    waiting = park(api)
    op = api.client.get(f"/v1.0/operations/{waiting}", headers=api.admin()).json()
    assert op["status"] == "PENDING"
    again = start_worker(data, tmp_path / "again.log")
    try:
        assert wait_for(api, waiting, again, tmp_path / "again.log")["status"] == "COMPLETED"
    finally:
        assert stop(again, tmp_path / "again.log") == 0


def test_bad_concurrency_is_refused(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BBWS_")}
    run = subprocess.run(
        [str(BBWS), "worker", "--data-dir", str(tmp_path), "--concurrency", "0"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2 and "concurrency" in run.stderr
