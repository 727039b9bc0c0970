"""The instance API on the GitOps runtime: the call commits the tenant's Terraform, ECS events finish the job."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import hcl2

from bbws.instances.ecs_events import handle_ecs_event
from tests.support.api import ApiHarness

EVENTS = Path(__file__).resolve().parents[2] / "events"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()


def ecs_event(name: str, tenant_id: str, event_id: str, time: str) -> dict[str, Any]:
    """A sample ECS event, retargeted at this test's tenant."""
    text = (EVENTS / name).read_text().replace("ten_01jd3m8x2v9k4q7r5t6w8y0z1a", tenant_id)
    return {**json.loads(text), "id": event_id, "time": time}


def test_create_commits_terraform_and_ecs_events_make_it_active(tmp_path: Path) -> None:
    repo = tmp_path / "gitops"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "bbws@example.com")
    git(repo, "config", "user.name", "BBWS")
    api = ApiHarness(tmp_path / "data", runtime="gitops", gitops_repo=repo)
    tid = api.create_tenant()["tenantId"]
    api.run_jobs()
    base = f"/v1.0/tenants/{tid}/instances"
    op = api.wait(api.client.post(base, json={"environment": "dev", "desiredCount": 2}, headers=api.admin()))
    assert op["status"] == "COMPLETED", op
    assert op["result"]["status"] == "WORKFLOW_QUEUED" and op["result"]["commitSha"] == git(repo, "rev-parse", "HEAD")
    assert op["operationId"] in git(repo, "log", "-1", "--format=%s")
    main_tf = hcl2.loads((repo / "tenants" / "dev" / tid / "main.tf").read_text())
    call = main_tf["module"][0]['"tenant_instance"']  # python-hcl2 8 keeps the quotes of string literals
    assert (call["tenant_id"], call["desired_count"]) == (f'"{tid}"', 2)
    item = api.client.get(f"{base}/{op['resourceId']}", headers=api.admin()).json()
    assert item["runtime"] == "gitops" and item["resources"]["ecsServiceArn"].endswith(f"tenant-{tid}-wordpress")
    assert item["_links"].keys() >= {"self"} and "stop" not in item["_links"]  # not ACTIVE before ECS says so

    store, clock = api.container.store, api.container.clock
    steady = ecs_event("ecs_service_steady_state.json", tid, "evt-1", "2099-01-01T00:00:02Z")
    assert handle_ecs_event(store=store, clock=clock, event=steady, environment="dev").result == "changed"
    item = api.client.get(f"{base}/{op['resourceId']}", headers=api.admin()).json()
    assert item["status"] == "ACTIVE" and item["runningCount"] == 2 and "stop" in item["_links"]

    older = ecs_event("ecs_service_task_start_impaired.json", tid, "evt-0", "2099-01-01T00:00:01Z")
    assert handle_ecs_event(store=store, clock=clock, event=older, environment="dev").result == "ignored"
    stop = api.wait(api.client.put(f"{base}/{op['resourceId']}/status", json={"action": "stop"}, headers=api.admin()))
    assert stop["result"]["status"] == "SUSPENDING"
    stopped = hcl2.loads((repo / "tenants" / "dev" / tid / "main.tf").read_text())
    assert stopped["module"][0]['"tenant_instance"']["desired_count"] == 0
    settle = ecs_event("ecs_service_steady_state.json", tid, "evt-2", "2099-01-01T00:00:03Z")
    handle_ecs_event(store=store, clock=clock, event=settle, environment="dev")
    assert api.client.get(f"{base}/{op['resourceId']}", headers=api.admin()).json()["status"] == "SUSPENDED"

    deleted = api.wait(api.client.delete(f"{base}/{op['resourceId']}", headers=api.admin()))
    assert deleted["result"]["status"] == "DEPROVISIONED"
    assert not (repo / "tenants" / "dev" / tid).exists()
    assert "deprovision" in git(repo, "log", "-1", "--format=%s")
