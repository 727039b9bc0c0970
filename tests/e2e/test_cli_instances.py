"""`bbws instances` end to end: a real `bbws serve` process provisions real WordPress runtimes."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.e2e.test_cli_client import serving
from tests.support.api import rid
from tests.support.waiting import wait_until


def answers(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=10, trust_env=False).status_code
    except httpx.TransportError:
        return None


BACK_WITHIN = 60.0  # seconds: a restarted server brings its instances back in the background, behind its API


def test_instances_commands_and_a_server_restart(tmp_path: Path) -> None:
    with serving(tmp_path) as server:
        tenant = server.json("tenants", "create", "--name", rid("Cli Instances"), "--email", "ops@example.com")
        tid = tenant["tenantId"]
        created = server.cli("instances", "create", "--tenant", tid, "--env", "dev", "--workers", "1")
        assert created.returncode == 0, created.stdout + created.stderr
        url = re.search(r"answers at (http://127\.0\.0\.1:\d+/)", created.stdout)
        assert url, created.stdout
        instance_url = url.group(1)
        assert answers(instance_url) == 200

        again = server.cli("instances", "create", "--tenant", tid, "--env", "dev")
        assert again.returncode == 1 and "INSTANCE_EXISTS" in again.stderr
        too_many = server.cli("instances", "scale", "--tenant", tid, "--env", "dev", "--workers", "11")
        assert too_many.returncode == 2

        scaled = server.cli("instances", "scale", "--tenant", tid, "--env", "dev", "--workers", "2")
        assert scaled.returncode == 0, scaled.stdout + scaled.stderr
        status = server.json("instances", "status", "--tenant", tid, "--env", "dev")
        assert status["runningCount"] == 2 and status["answering"] is True
        listed = server.json("instances", "list", "--tenant", tid)
        assert [(i["environment"], i["status"]) for i in listed] == [("dev", "ACTIVE")]

        assert server.cli("instances", "stop", "--tenant", tid, "--env", "dev").returncode == 0
        assert answers(instance_url) is None
        stopped_twice = server.cli("instances", "stop", "--tenant", tid, "--env", "dev")
        assert stopped_twice.returncode == 1 and "INVALID_STATUS_TRANSITION" in stopped_twice.stderr
        assert server.cli("instances", "start", "--tenant", tid, "--env", "dev").returncode == 0
        assert answers(instance_url) == 200
    assert answers(instance_url) is None  # the server stopped: so did the instances it ran

    with serving(tmp_path) as server:  # same data dir: the instance comes back at the same URL
        assert wait_until(lambda: answers(instance_url) == 200, timeout=BACK_WITHIN)
        deleted = server.json("instances", "delete", "--tenant", tid, "--env", "dev")
        assert deleted["status"] == "COMPLETED" and deleted["result"]["status"] == "DEPROVISIONED"
        assert answers(instance_url) is None
        missing = server.cli("instances", "get", "--tenant", tid, "--env", "prod")
        assert missing.returncode == 1 and "no instance in prod" in missing.stderr
