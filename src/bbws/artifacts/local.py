"""Artifacts as files in a folder of the data dir (the embedded default)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from bbws.core.artifacts import Artifact, ArtifactMissing, ArtifactStore, check_key, sha256_of
from bbws.core.files import make_private, private_dir


class LocalArtifacts(ArtifactStore):
    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, source: Path) -> Artifact:
        target = self._path(key)
        private_dir(target.parent, within=self.root)
        partial = target.with_name(target.name + ".partial")
        try:
            os.link(source, partial)  # same file system: no copy of a 50 MB backup
        except OSError:
            shutil.copyfile(source, partial)
        make_private(partial)  # a backup holds a database dump, a template or plugin zip a tenant's code
        partial.replace(target)
        return Artifact(key=key, size=target.stat().st_size, sha256=sha256_of(target))

    def fetch(self, key: str, dest: Path) -> Path:
        source = self._path(key)
        if not source.is_file():
            raise ArtifactMissing(key)
        private_dir(dest.parent)
        shutil.copyfile(source, dest)
        make_private(dest)
        return dest

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None
