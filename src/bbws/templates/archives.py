"""Template archives: storing an exported site as a version's artifact, and handing a verified copy to a job."""

from __future__ import annotations

import errno
import json
import os
import shutil
import tarfile
from pathlib import Path
from typing import Any

from bbws.core.artifacts import ArtifactMissing, sha256_of
from bbws.core.container import Container
from bbws.core.files import private_dir
from bbws.core.handlers import PermanentFailure
from bbws.templates.builtin import ensure_built, is_current


class TemplateArchiveCorrupt(PermanentFailure):
    """The stored archive is not the one the version recorded: building a site from it would be wrong."""


class TemplateArchiveMissing(PermanentFailure):
    """The version's archive is gone from the artifact store."""


def read_manifest(archive: Path) -> dict[str, Any]:
    """`manifest.json` of an archive made by `RuntimeDriver.export_site` (empty when it has none)."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile("manifest.json")
            return dict(json.loads(member.read())) if member is not None else {}
    except (KeyError, OSError, tarfile.TarError, ValueError):
        return {}


def _link_or_copy(source: Path, dest: Path) -> None:
    """A hard link where it can (archives are read, never written, by imports), else a copy."""
    dest.unlink(missing_ok=True)
    try:
        os.link(source, dest)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
            raise
        shutil.copyfile(source, dest)


def fetch_verified(container: Container, record: dict[str, Any], work_dir: Path) -> Path:
    """The version's archive in `work_dir`, checked against the sha256 recorded when it was stored."""
    key, name = record["artifactKey"], f"{record['slug']}@{record['version']}"
    store = container.artifacts
    private_dir(work_dir)
    dest = work_dir / f"template-{record['slug']}-v{record['version']}.tar.gz"
    local = store.local_path(key)
    try:
        if local is not None:
            _link_or_copy(local, dest)
        else:
            store.fetch(key, dest)
    except ArtifactMissing as exc:
        raise TemplateArchiveMissing(f"The archive of template {name} ({key}) is missing.") from exc
    actual = sha256_of(dest)
    if actual != record.get("checksum"):
        dest.unlink(missing_ok=True)
        raise TemplateArchiveCorrupt(
            f"The archive of template {name} does not match its checksum (recorded {record.get('checksum')}, "
            f"found {actual}); it was changed or damaged after it was stored."
        )
    return dest


def archive_for(*, container: Container, template: dict[str, Any], work_dir: Path) -> Path:
    """A local, verified copy of the archive of `template` (what `find_usable` returned), in `work_dir`. A
    built-in template's archive is built on first use (once, even when several jobs ask at the same time)."""
    record = template
    if template.get("builtin") and not is_current(template):  # never built, or built from an older recipe
        record = ensure_built(container, template)
    try:
        return fetch_verified(container, record, work_dir)
    except TemplateArchiveMissing:
        if not record.get("builtin"):
            raise
        return fetch_verified(container, ensure_built(container, record, stale=record.get("checksum")), work_dir)
