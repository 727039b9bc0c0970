"""Artifacts as objects in an S3 bucket (the AWS shape), keys under an optional prefix."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from bbws.core.artifacts import Artifact, ArtifactMissing, ArtifactStore, check_key, sha256_of
from bbws.core.boto import LazyClient
from bbws.core.files import make_private, private_dir

SHA256_METADATA = "sha256"  # user metadata: S3 shows it as `x-amz-meta-sha256`
_MISSING_CODES = {"404", "NoSuchKey", "NotFound"}


def _missing(error: ClientError) -> bool:
    """S3 says "absent" as NoSuchKey on GET, and as a bare 404 on HEAD (which download_file sends first)."""
    return str(error.response.get("Error", {}).get("Code", "")) in _MISSING_CODES


class S3Artifacts(ArtifactStore):
    name = "s3"

    def __init__(
        self,
        client: Any,
        bucket: str,
        prefix: str = "",
        *,
        region: str = "af-south-1",
        endpoint_url: str | None = None,
    ) -> None:
        """`client` is an S3 client, or None to make one on first use (never at import or construction)."""
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self._clients = LazyClient("s3", region=region, endpoint_url=endpoint_url, client=client)

    @classmethod
    def from_settings(cls, settings: Any) -> S3Artifacts:
        if not settings.artifact_bucket:
            raise ValueError("BBWS_ARTIFACT_BUCKET must name a bucket when BBWS_ARTIFACT_STORE=s3")
        return cls(
            None,
            settings.artifact_bucket,
            settings.artifact_prefix,
            region=settings.aws_region,
            endpoint_url=settings.aws_endpoint_url,
        )

    @property
    def _client(self) -> Any:
        return self._clients.get()

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, key: str, source: Path) -> Artifact:
        digest = sha256_of(source)
        # upload_file switches to a multipart upload for large files (backups), which put_object cannot do.
        self._client.upload_file(
            str(source), self.bucket, self._key(key), ExtraArgs={"Metadata": {SHA256_METADATA: digest}}
        )
        return Artifact(key=key, size=source.stat().st_size, sha256=digest)

    def fetch(self, key: str, dest: Path) -> Path:
        private_dir(dest.parent)
        partial = dest.with_name(dest.name + ".partial")
        try:
            self._client.download_file(self.bucket, self._key(key), str(partial))
        except ClientError as error:
            partial.unlink(missing_ok=True)
            if _missing(error):
                raise ArtifactMissing(key) from error
            raise
        make_private(partial)
        os.replace(partial, dest)  # a reader never sees half a download under the final name
        return dest

    def delete(self, key: str) -> None:
        self._client.delete_object(Bucket=self.bucket, Key=self._key(key))  # absent is not an error in S3

    def exists(self, key: str) -> bool:
        return self.head(key) is not None

    def head(self, key: str) -> dict[str, Any] | None:
        """The object's size and recorded sha256, or None when there is no such object."""
        try:
            response = self._client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if _missing(error):
                return None
            raise
        return {"size": response["ContentLength"], "sha256": response.get("Metadata", {}).get(SHA256_METADATA)}

    def close(self) -> None:
        self._clients.close()
