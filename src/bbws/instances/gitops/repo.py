"""A git work tree the gitops driver writes to: write files, commit only its own paths, push when asked.

`git` runs as a subprocess with argument lists (never a shell). Commits are serialized per repository, across
threads (a lock) and processes (`flock` on a file in the git dir), because git's index lock refuses a second
writer rather than waiting for it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from bbws.core.driver import DriverError
from bbws.core.files import file_lock

COMMITTER = ("BBWS control plane", "gitops@bbws.io")
TIMEOUT_SECONDS = 120
_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


def git_missing() -> bool:
    return shutil.which("git") is None


def is_work_tree(path: Path) -> bool:
    """True when `path` is inside a git work tree (False when it is not, does not exist, or git is absent)."""
    if git_missing() or not path.is_dir():
        return False
    done = subprocess.run(
        ["git", "rev-parse", "--is-inside-work-tree"], cwd=path, capture_output=True, text=True, check=False
    )
    return done.returncode == 0 and done.stdout.strip() == "true"


class GitRepo:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._identity: dict[str, str] | None = None

    # -- plumbing
    def git(self, *args: str, when: datetime | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        # Every call carries the fallback identity: not only `commit` writes commits (`pull --rebase` replays
        # them), and a fresh machine has no git identity at all. Variables the caller set still win.
        try:
            env = {**self.fallback_identity(), **os.environ}
            env["GIT_TERMINAL_PROMPT"] = "0"  # a push that needs a password fails instead of hanging
            if when is not None:
                env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when.isoformat()
            done = subprocess.run(
                ["git", *args], cwd=self.path, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS
            )
        except FileNotFoundError as error:
            raise DriverError("git is not installed", code="RUNTIME_NOT_READY") from error
        except subprocess.TimeoutExpired as error:
            raise DriverError(f"git took over {TIMEOUT_SECONDS}s ({' '.join(args[:2])})", retryable=True) from error
        if check and done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()
            command = next((a for a in args if not a.startswith("-") and "=" not in a), "")
            raise DriverError(f"git {command} failed: {' '.join(detail[-3:])}", code="GITOPS_FAILED", retryable=True)
        return done

    def fallback_identity(self) -> dict[str, str]:
        """`GIT_AUTHOR_*`/`GIT_COMMITTER_*` for the name and email git config does not set (looked up once)."""
        if self._identity is None:
            self._identity = {}
            for key, value in zip(("NAME", "EMAIL"), COMMITTER, strict=True):
                configured = subprocess.run(
                    ["git", "config", f"user.{key.lower()}"], cwd=self.path, capture_output=True, text=True
                )
                if configured.returncode != 0 or not configured.stdout.strip():
                    self._identity |= {f"GIT_AUTHOR_{key}": value, f"GIT_COMMITTER_{key}": value}
        return self._identity

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold this repository for one write-and-commit (threads of this process and other processes alike)."""
        key = self.path.resolve()
        with _locks_guard:
            thread_lock = _locks.setdefault(key, threading.Lock())
        git_dir = Path(self.git("rev-parse", "--absolute-git-dir").stdout.strip())
        with thread_lock, file_lock(git_dir / "bbws-gitops.lock"):
            yield

    # -- work tree
    def write(self, relative: str, content: str) -> None:
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_text() != content:
            target.write_text(content)

    def sync_dir(self, source: Path, relative: str, *, patterns: Sequence[str] = ("*.tf", "README.md")) -> None:
        """Make `relative` hold exactly the files of `source` that match `patterns` (a vendored copy)."""
        wanted = {p.name: p.read_text() for pattern in patterns for p in source.glob(pattern) if p.is_file()}
        target = self.path / relative
        target.mkdir(parents=True, exist_ok=True)
        for existing in target.iterdir():
            if existing.is_file() and existing.name not in wanted:
                existing.unlink()
        for name, content in wanted.items():
            self.write(f"{relative}/{name}", content)

    def remove(self, relative: str) -> None:
        shutil.rmtree(self.path / relative, ignore_errors=True)

    # -- history
    def head(self) -> str | None:
        done = self.git("rev-parse", "--verify", "--quiet", "HEAD", check=False)
        return done.stdout.strip() or None

    def commit(self, paths: Sequence[str], message: str, *, when: datetime) -> str | None:
        """Commit the current state of `paths` (and nothing else staged); None when they did not change."""
        # A path that is neither on disk nor tracked (deprovisioning what was never committed) is no change.
        paths = [p for p in paths if (self.path / p).exists() or self.git("ls-files", "--", p).stdout.strip()]
        if not paths:
            return None
        self.git("add", "--all", "--", *paths)
        if self.git("diff", "--cached", "--quiet", "--", *paths, check=False).returncode == 0:
            return None
        self.git("commit", "--quiet", "-m", message, "--", *paths, when=when)
        return self.head()

    def push(self) -> None:
        """Push to the upstream; when another writer pushed first, replay this commit on top once and push again."""
        if self.git("push", "--quiet", check=False).returncode == 0:
            return
        try:
            self.git("pull", "--rebase", "--quiet")
        except DriverError:
            self.git("rebase", "--abort", check=False)  # leave the work tree as it was, for the retry
            raise
        self.git("push", "--quiet")
