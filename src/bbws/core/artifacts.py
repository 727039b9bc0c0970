"""The artifact store port: put a file under a key, fetch it back, delete it; every put records size and sha256."""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

KEY = re.compile(r"^[a-z0-9][a-z0-9_.-]*(/[a-z0-9][a-z0-9_.-]*)*$")


class ArtifactMissing(Exception):
    """No artifact under that key."""


@dataclass(frozen=True)
class Artifact:
    key: str
    size: int
    sha256: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_key(key: str) -> str:
    """Keys are made by the platform (`backups/ten_x/site_y/bak_z.tar.gz`); anything else is a bug, not input."""
    if not KEY.match(key) or ".." in key:
        raise ValueError(f"not an artifact key: {key!r}")
    return key


class ArtifactStore(ABC):
    name = "abstract"

    @abstractmethod
    def put(self, key: str, source: Path) -> Artifact:
        """Store a copy of `source` under `key` (replacing what was there) and return its size and checksum."""

    @abstractmethod
    def fetch(self, key: str, dest: Path) -> Path:
        """Write the artifact to `dest`; ArtifactMissing when there is none."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the artifact (nothing when it is already gone)."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    def local_path(self, key: str) -> Path | None:
        """Where the artifact already is on this machine (local store), so it need not be copied to be read."""
        return None
