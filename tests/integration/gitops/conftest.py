"""Fixtures for the gitops driver: throwaway git work trees (and a bare remote) in the test's own temp dir."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from bbws.core.clock import ManualClock
from bbws.core.driver import InstanceSpec
from bbws.instances.gitops import GitOpsDriver

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def new_spec(**changes: object) -> InstanceSpec:
    """An instance of a random tenant (tests share nothing)."""
    suffix = uuid.uuid4().hex[:12]
    spec = InstanceSpec(
        tenant_id=f"ten_{suffix}",
        environment="dev",
        instance_id=f"ins_{suffix}",
        desired_count=2,
        wordpress_version="6.8",
        php_version="8.3",
        settings={"phpMemoryLimit": "256M"},
        operation_id=f"op_{suffix}",
    )
    return replace(spec, **changes)  # type: ignore[arg-type]


@pytest.fixture
def work_tree(tmp_path: Path) -> Path:
    """An empty repository (no commit yet), as `git init` leaves it."""
    path = tmp_path / "gitops"
    path.mkdir()
    git(path, "init", "--quiet", "--initial-branch=main")
    return path


@pytest.fixture
def remote_clone(tmp_path: Path) -> tuple[Path, Path]:
    """A bare 'origin' with one commit and a clone of it that tracks `main` (push works from the clone)."""
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "--quiet", str(origin), str(seed))
    (seed / "README.md").write_text("GitOps repository of the BBWS tenant instances.\n")
    git(seed, "add", "README.md")
    git(seed, "-c", "user.name=seed", "-c", "user.email=seed@example.org", "commit", "--quiet", "-m", "seed")
    git(seed, "push", "--quiet", "origin", "main")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(origin), str(clone))
    return origin, clone


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def driver(work_tree: Path, clock: ManualClock) -> GitOpsDriver:
    return GitOpsDriver(work_tree, region="af-south-1", account_id="123456789012", clock=clock)
