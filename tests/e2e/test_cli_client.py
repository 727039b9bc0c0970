"""The client commands end to end: `bbws tenants|operations|dlq` against `bbws serve` running as a process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bbws.client.api import BbwsClient, BbwsError
from bbws.core.queue import Job
from bbws.jobs.sqlite_queue import SqliteQueue
from tests.support.api import rid

BBWS = Path(sys.executable).parent / "bbws"
STARTUP_TIMEOUT = 60.0
REASON = "End-to-end test: parked for a while"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    data: Path
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def token(self) -> str:
        return (self.data / "admin-token").read_text().strip()

    def cli(self, *args: str, token: str | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run `bbws ARGS` against this server (URL from BBWS_URL; token from --token or the data dir)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("BBWS_")}
        env |= {"BBWS_URL": self.url, "BBWS_DATA_DIR": str(self.data), "COLUMNS": "200"}
        argv = [str(BBWS), *args, *(["--token", token] if token else [])]
        return subprocess.run(argv, capture_output=True, text=True, env=env, input=stdin, timeout=120, check=False)

    def json(self, *args: str, token: str | None = None) -> Any:
        run = self.cli(*args, "--json", token=token)
        assert run.returncode == 0, run.stdout + run.stderr
        return json.loads(run.stdout)


@contextmanager
def serving(tmp_path: Path, *flags: str) -> Iterator[Server]:
    port, data = free_port(), tmp_path / "data"
    log = tmp_path / f"serve-{port}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BBWS_")}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(BBWS), "serve", "--port", str(port), "--data-dir", str(data), *flags],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
        )
    server = Server(f"http://127.0.0.1:{port}", data, process, log)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            assert process.poll() is None, f"bbws serve exited early:\n{log.read_text()}"
            try:
                if httpx.get(f"{server.url}/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"no /healthz answer:\n{log.read_text()}"
            time.sleep(0.05)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server with its in-process worker for the tests that only add their own tenants."""
    with serving(tmp_path_factory.mktemp("cli-client")) as running:
        yield running


def new_tenant(server: Server) -> str:
    created = server.json("tenants", "create", "--name", rid("Cli Org"), "--email", "ops@example.com")
    return str(created["tenantId"])


# -- tenants
def test_create_list_and_get_tenants(server: Server) -> None:
    name = rid("Listed")
    created = server.json("tenants", "create", "--name", name, "--email", "ops@example.com", "--tier", "professional")
    assert created["status"] == "ACTIVE" and created["tier"] == "PROFESSIONAL"
    listed = server.json("tenants", "list", "--all")
    assert created["tenantId"] in {t["tenantId"] for t in listed}
    assert server.json("tenants", "get", created["tenantId"])["organizationName"] == name
    table = server.cli("tenants", "list", "--status", "active", "--page-size", "100")
    assert table.returncode == 0 and created["tenantId"] in table.stdout and "organizationName" in table.stdout
    shown = server.cli("tenants", "get", created["tenantId"])
    assert shown.returncode == 0 and name in shown.stdout


def test_lifecycle_commands_wait_with_a_progress_bar(server: Server) -> None:
    tenant_id = new_tenant(server)
    parked = server.cli("tenants", "park", tenant_id, "--reason", REASON)
    assert parked.returncode == 0, parked.stdout + parked.stderr
    assert "COMPLETED" in parked.stdout and "PARKED" in parked.stdout
    assert "TENANT_PARK" in parked.stderr  # the bar's label
    unparked = server.json("tenants", "unpark", tenant_id)
    assert unparked["status"] == "COMPLETED" and unparked["result"]["status"] == "ACTIVE"
    assert server.json("tenants", "get", tenant_id)["status"] == "ACTIVE"


def test_no_wait_prints_the_operation_id_and_watch_follows_it(server: Server) -> None:
    tenant_id = new_tenant(server)
    started = server.cli("tenants", "suspend", tenant_id, "--reason", REASON, "--no-wait")
    assert started.returncode == 0, started.stderr
    operation_id = started.stdout.strip()
    assert operation_id.startswith("op_") and len(operation_id.split()) == 1
    watched = server.cli("operations", "watch", operation_id)
    assert watched.returncode == 0, watched.stdout + watched.stderr
    assert f"Operation {operation_id} COMPLETED" in watched.stdout
    final = server.json("operations", "get", operation_id)
    assert final["status"] == "COMPLETED" and final["operationType"] == "TENANT_SUSPEND"
    listed = server.json("operations", "list", tenant_id)
    assert [op["operationId"] for op in listed] == [operation_id]
    as_json = server.json("tenants", "resume", tenant_id, "--no-wait")
    assert as_json["status"] in ("PENDING", "IN_PROGRESS", "COMPLETED")


def test_bad_input_and_errors_exit_non_zero_with_the_problem(server: Server) -> None:
    ghost = "ten_" + "0" * 26
    missing = server.cli("tenants", "get", ghost)
    assert missing.returncode == 1 and "TENANT_NOT_FOUND" in missing.stderr
    invalid = server.cli("tenants", "unpark", new_tenant(server))
    assert invalid.returncode == 1 and "INVALID_STATUS_TRANSITION" in invalid.stderr
    short = server.cli("tenants", "park", new_tenant(server), "--reason", "short")
    assert short.returncode == 1 and "VALIDATION_ERROR" in short.stderr
    assert "Traceback" not in missing.stderr + invalid.stderr + short.stderr
    anonymous = server.cli("tenants", "list", "--data-dir", str(server.data.parent / "elsewhere"))
    assert anonymous.returncode == 1 and "UNAUTHORIZED" in anonymous.stderr and "--token" in anonymous.stderr
    unreachable = server.cli("tenants", "list", "--url", "http://127.0.0.1:9")
    assert unreachable.returncode == 1 and "UNREACHABLE" in unreachable.stderr


# -- a server without a worker: operations wait, so they can be cancelled and dead-lettered at will
@pytest.fixture
def idle(tmp_path: Path) -> Iterator[Server]:
    with serving(tmp_path, "--no-worker") as running:
        yield running


def test_watch_exits_1_on_a_cancelled_operation_and_a_worker_process_completes_the_rest(
    idle: Server, tmp_path: Path
) -> None:
    tenant_id = new_tenant(idle)
    operation_id = idle.cli("tenants", "park", tenant_id, "--reason", REASON, "--no-wait").stdout.strip()
    assert idle.json("operations", "get", operation_id)["status"] == "PENDING"  # --no-worker: nobody runs it
    cancelled = idle.json("operations", "cancel", operation_id)
    assert cancelled["status"] == "CANCELLED"
    watched = idle.cli("operations", "watch", operation_id)
    assert watched.returncode == 1 and "CANCELLED" in watched.stdout
    # with a worker process on the same data dir, the next operation completes
    operation_id = idle.cli("tenants", "park", tenant_id, "--reason", REASON, "--no-wait").stdout.strip()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BBWS_")}
    with (tmp_path / "worker.log").open("wb") as sink:
        worker = subprocess.Popen(
            [str(BBWS), "worker", "--data-dir", str(idle.data)], stdout=sink, stderr=sink, env=env
        )
    try:
        finished = idle.cli("operations", "watch", operation_id, "--timeout", "60")
        assert finished.returncode == 0, finished.stdout + finished.stderr
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0


def dead_letter(server: Server) -> str:
    """A job nobody acknowledged three times: on the fourth receive it moves to the DLQ."""
    queue = SqliteQueue(server.data / "bbws.sqlite3")
    job = Job(name="NoSuchJob", tenant_id="ten_" + "1" * 26, payload={"why": rid("test")})
    queue.send([job])
    for _ in range(4):  # jobs put back by a redrive go the same way
        queue.receive(max_messages=100, visibility_timeout=0)
    assert queue.dead_letter(job.message_id) is not None
    return job.message_id


def test_dlq_list_show_redrive_and_purge(idle: Server) -> None:
    first, second = dead_letter(idle), dead_letter(idle)
    listed = idle.json("dlq", "list")
    assert [row["messageId"] for row in listed] == [first, second]
    assert listed[0]["receives"] == 3 and "visibility timeout" in listed[0]["lastError"]
    table = idle.cli("dlq", "list")
    assert table.returncode == 0 and first in table.stdout and "NoSuchJob" in table.stdout
    shown = idle.json("dlq", "show", first)
    assert shown["job"] == "NoSuchJob" and shown["payload"]["why"].startswith("test-")
    assert idle.cli("dlq", "show", "msg_" + "0" * 26).returncode == 1
    neither = idle.cli("dlq", "redrive")
    assert neither.returncode == 2 and "--all" in neither.stderr
    redriven = idle.cli("dlq", "redrive", first)
    assert redriven.returncode == 0 and "Redriven: 1" in redriven.stdout
    assert [row["messageId"] for row in idle.json("dlq", "list")] == [second]
    declined = idle.cli("dlq", "purge", "--all", stdin="n\n")
    assert declined.returncode == 1 and "Nothing deleted" in declined.stderr
    assert len(idle.json("dlq", "list")) == 1
    confirmed = idle.cli("dlq", "purge", second, stdin="y\n")
    assert confirmed.returncode == 0 and "Purged: 1" in confirmed.stdout
    third = dead_letter(idle)  # the redriven job, never acknowledged, is back in the DLQ with it
    assert [row["messageId"] for row in idle.json("dlq", "list")] == [first, third]
    purged = idle.cli("dlq", "purge", "--all", "--yes")
    assert purged.returncode == 0 and "Purged: 2" in purged.stdout
    assert idle.json("dlq", "list") == []


def test_the_dlq_is_for_platform_admins_only(idle: Server) -> None:
    minted = idle.cli("token", "create", "--sub", rid("viewer"), "--role", "VIEWER", "--data-dir", str(idle.data))
    viewer = minted.stdout.split()[-1]
    refused = idle.cli("dlq", "list", token=viewer)
    assert refused.returncode == 1 and "FORBIDDEN" in refused.stderr


# -- the Python client
def test_the_python_client_waits_watches_and_raises_problems(server: Server) -> None:
    with BbwsClient(server.url, server.token) as client:
        tenant = client.create_tenant(rid("Client Org"), "ops@example.com")
        op = client.park(tenant["tenantId"], REASON)
        assert op["status"] in ("PENDING", "IN_PROGRESS", "COMPLETED")
        done = client.wait(op["operationId"], timeout=60)
        assert done["status"] == "COMPLETED" and client.get_tenant(tenant["tenantId"])["status"] == "PARKED"
        seen = list(client.watch(client.unpark(tenant["tenantId"])["operationId"], timeout=60))
        assert seen[-1]["status"] == "COMPLETED"
        with pytest.raises(BbwsError) as caught:
            client.park(tenant["tenantId"], "too short")
        assert caught.value.status == 400 and caught.value.code == "VALIDATION_ERROR"
        assert client.list_dead_letters(page_size=1)["_links"]["self"]["href"] == "/v1.0/admin/dlq?pageSize=1"
