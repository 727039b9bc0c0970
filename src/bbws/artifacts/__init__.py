"""Files kept outside the table: site backups, template archives and plugin zips (a local folder, or S3 on AWS)."""

from bbws.artifacts.port import Artifact, ArtifactMissing, ArtifactStore, artifacts_of, sha256_of

__all__ = ["Artifact", "ArtifactMissing", "ArtifactStore", "artifacts_of", "sha256_of"]
