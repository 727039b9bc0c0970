"""The GitHub Actions workflows: actionlint clean, and only calls of `bbws aws` commands that exist, with the
credentials and approvals each release step needs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bbws.cli.aws import aws_app

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
EXPECTED = {"ci", "deploy-dev", "promote-sit", "promote-prod", "rollback", "tenant-gitops"}
RELEASES = {"deploy-dev": "dev", "promote-sit": "sit", "promote-prod": "prod"}


def actionlint() -> str:
    """The actionlint of the venv (the dev extras install it), else one on PATH; a missing one fails the test."""
    beside = Path(sys.executable).parent / "actionlint"
    found = str(beside) if beside.is_file() else shutil.which("actionlint")
    if found is None:
        pytest.fail("actionlint is not installed: run `bash scripts/setup.sh --dev` (the dev extras carry it)")
    return found


def workflows() -> dict[str, dict[str, Any]]:
    return {path.stem: yaml.safe_load(path.read_text()) for path in sorted(WORKFLOWS.glob("*.yml"))}


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_the_workflows_are_actionlint_clean() -> None:
    done = subprocess.run([actionlint(), "-no-color"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_pipeline_is_there() -> None:
    assert set(workflows()) == EXPECTED


def test_the_workflows_call_only_bbws_aws_commands_that_exist() -> None:
    known = {command.name for command in aws_app.registered_commands}
    called = set()
    for name, workflow in workflows().items():
        for step in steps(workflow):
            for command in re.findall(r"bbws aws ([a-z-]+)", step.get("run", "")):
                assert command in known, f"{name}: `bbws aws {command}` is not a command ({sorted(known)})"
                called.add(command)
    assert {"package", "deploy", "promote", "rollback", "gate"} <= called


def test_inputs_reach_scripts_only_through_the_environment() -> None:
    """`${{ inputs.x }}` inside `run:` would be pasted into the script (injection); env vars are data."""
    for name, workflow in workflows().items():
        for step in steps(workflow):
            assert "${{" not in step.get("run", ""), f"{name}: {step.get('name')} expands an expression in run:"


def test_releases_need_their_environment_and_assume_a_role_by_oidc() -> None:
    """Who may release: the GitHub environment of the target (its required reviewers and its role), never keys."""
    for name, workflow in workflows().items():
        for job_name, job in workflow["jobs"].items():
            uses = [step.get("uses", "") for step in job.get("steps", [])]
            assumes = [step for step in job.get("steps", []) if "configure-aws-credentials" in step.get("uses", "")]
            if not assumes:
                continue
            assert job.get("permissions", {}).get("id-token") == "write", f"{name}.{job_name}: no OIDC token"
            assert "environment" in job, f"{name}.{job_name} uses AWS outside a GitHub environment"
            for step in assumes:
                assert set(step["with"]) == {"role-to-assume", "aws-region"}, f"{name}.{job_name}: keys, not a role"
            assert any(u.startswith("actions/checkout@") for u in uses)
    for name, environment in RELEASES.items():
        jobs = workflows()[name]["jobs"]
        deploying = [job for job in jobs.values() if any(
            re.search(r"bbws aws (deploy|promote)", step.get("run", "")) for step in job.get("steps", []))]
        assert [job["environment"] for job in deploying] == [environment], name
        assert all("test" in (job["needs"] if isinstance(job["needs"], list) else [job["needs"]]) for job in deploying)


def test_prod_waits_for_sit_s_error_window() -> None:
    jobs = workflows()["promote-prod"]["jobs"]
    gate = next(name for name, job in jobs.items() if any(
        "bbws aws gate --env sit" in step.get("run", "") for step in job.get("steps", [])))
    assert gate in jobs["promote"]["needs"]


def test_manual_pipelines_are_manual_and_deploy_dev_runs_on_main() -> None:
    found = workflows()
    for name in ("promote-sit", "promote-prod", "rollback", "tenant-gitops"):
        assert set(found[name][True]) == {"workflow_dispatch"}, name  # YAML 1.1 reads the key `on` as True
    assert found["deploy-dev"][True]["push"] == {"branches": ["main"]}
    assert set(found["rollback"][True]["workflow_dispatch"]["inputs"]) == {"env", "function", "version"}
