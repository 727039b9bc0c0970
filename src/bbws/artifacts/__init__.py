"""Artifact stores, the adapters of `core.artifacts`: site backups, template archives and plugin zips kept outside
the table, in a local folder or in S3."""

from __future__ import annotations

from typing import Any

from bbws.core.artifacts import ArtifactStore


def build_artifacts(settings: Any) -> ArtifactStore:
    """The store the settings name (`artifact_store`): S3 (`artifact_bucket`, `artifact_prefix`) or the data dir."""
    if settings.artifact_store == "s3":
        from bbws.artifacts.s3 import S3Artifacts

        return S3Artifacts.from_settings(settings)
    from bbws.artifacts.local import LocalArtifacts

    return LocalArtifacts(settings.data_dir / "artifacts")
