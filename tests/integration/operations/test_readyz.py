"""`GET /readyz`: 200 when the store, a worker and the local runtime are up; 503 naming the part that is not.
Like `/healthz` it needs no token and shows no tenant data."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bbws.jobs.heartbeat import Heartbeats
from bbws.store.dynamodb_store import DynamoDbStore
from tests.support.api import ApiHarness

WAIT = 30.0


def ready_within(client: TestClient, status: int) -> dict[str, Any]:
    """Poll until /readyz answers `status` (the in-process worker beats right after the server starts)."""
    give_up = time.monotonic() + WAIT
    while (r := client.get("/readyz")).status_code != status:
        assert time.monotonic() < give_up, r.text
        time.sleep(0.05)
    assert r.headers["cache-control"] == "no-store"
    return dict(r.json())


def test_ready_with_the_in_process_worker_and_unavailable_once_it_stops(tmp_path: Path) -> None:
    api = ApiHarness(tmp_path / "data")
    with TestClient(api.app) as client:  # runs the lifespan: the worker `bbws serve` runs beside the API
        body = ready_within(client, 200)
        assert body["status"] == "ready" and "failing" not in body
        assert {name: c["status"] for name, c in body["checks"].items()} == {
            "store": "ok", "worker": "ok", "mariadb": "ok", "web": "ok"
        }
        assert body["checks"]["worker"]["heartbeatAgeSeconds"] < 2 * api.settings.job_lease_seconds
    # The worker stopped with the server and removed its record: nothing runs the jobs any more.
    body = ready_within(TestClient(api.app), 503)
    assert body["status"] == "unavailable" and body["failing"] == ["worker"]


def test_a_worker_without_a_recent_heartbeat_is_not_ready(tmp_path: Path) -> None:
    api = ApiHarness(tmp_path / "data", run_worker=False)  # `bbws serve --no-worker`: a separate worker must beat
    r = api.client.get("/readyz")
    body = r.json()
    assert r.status_code == 503
    assert body["failing"] == ["worker"] and body["checks"]["worker"]["detail"] == "no worker has a heartbeat"
    beats = Heartbeats(api.container.store)
    beats.beat("elsewhere:1:abcd:1", in_hand=0)  # a `bbws worker` process on another host
    assert api.client.get("/readyz").status_code == 200
    record = beats.get("elsewhere:1:abcd:1")
    assert record is not None
    beats.store.put({**record, "beatAt": time.time() - 2 * api.settings.job_lease_seconds - 1})
    r = api.client.get("/readyz")
    assert r.status_code == 503 and r.json()["failing"] == ["worker"]
    assert "no worker heartbeat for" in r.json()["checks"]["worker"]["detail"]


def test_an_unreachable_store_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    store = DynamoDbStore("bbws", endpoint_url="http://127.0.0.1:9")  # nothing listens there: every call fails
    api = ApiHarness(tmp_path / "data", run_worker=False, store=store)
    r = api.client.get("/readyz")
    assert r.status_code == 503, r.text
    assert r.json()["status"] == "unavailable" and r.json()["failing"][0] == "store"
    assert r.json()["checks"]["store"] == {"status": "failing", "detail": "store check raised EndpointConnectionError"}
    assert "127.0.0.1" not in r.text  # the exception's text (addresses, keys) is not shown


def test_a_dead_mariadb_is_named(tmp_path: Path) -> None:
    """MariaDB ran on this data dir and died (its state file names a process that is gone)."""
    api = ApiHarness(tmp_path / "data", run_worker=False)
    Heartbeats(api.container.store).beat("elsewhere:1:abcd:1", in_hand=0)
    db = api.container.runtime.get().db  # type: ignore[attr-defined]
    gone = subprocess.Popen(["true"])
    gone.wait()
    db.state_file.parent.mkdir(parents=True, exist_ok=True)
    db.state_file.write_text(json.dumps({"pid": gone.pid, "port": 3306}))
    r = api.client.get("/readyz")
    assert r.status_code == 503 and r.json()["failing"] == ["mariadb"], r.text
    assert r.json()["checks"]["mariadb"]["detail"] == "the private MariaDB is not running"


def test_readyz_needs_no_token_and_shows_no_tenant_data(tmp_path: Path) -> None:
    api = ApiHarness(tmp_path / "data", run_worker=False)
    tenant = api.create_tenant()
    r = api.client.get("/readyz", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 503  # answered (no 401), and no worker beats here
    assert tenant["tenantId"] not in r.text and tenant["organizationName"] not in r.text


def test_on_sqs_without_an_in_process_worker_the_worker_check_is_skipped(tmp_path: Path) -> None:
    """The consumers are Lambda functions SQS drives: they keep no heartbeat to check."""
    api = ApiHarness(tmp_path / "data", run_worker=False, queue="sqs",
                     sqs_queue_url="http://127.0.0.1:9/q", sqs_dlq_url="http://127.0.0.1:9/dlq")
    r = api.client.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["checks"]["worker"] == {"status": "skipped", "detail": "jobs run in SQS-driven consumers"}
