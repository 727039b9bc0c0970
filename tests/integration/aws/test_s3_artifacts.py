"""The artifact store contract, run against the local folder and S3 (moto), plus what only the S3 adapter does."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bbws.artifacts import build_artifacts
from bbws.artifacts.local import LocalArtifacts
from bbws.artifacts.s3 import S3Artifacts
from bbws.core.artifacts import ArtifactMissing, ArtifactStore
from bbws.core.settings import Settings
from tests.support.moto_server import REGION, boto_client


@pytest.fixture
def s3(moto_endpoint: str) -> Any:
    return boto_client("s3", moto_endpoint)


@pytest.fixture
def bucket(s3: Any) -> str:
    """A fresh bucket (random name: tests share the moto server)."""
    name = f"bbws-artifacts-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ArtifactStore]:
    if request.param == "local":
        yield LocalArtifacts(tmp_path / "artifacts")
        return
    yield S3Artifacts(request.getfixturevalue("s3"), request.getfixturevalue("bucket"), "bbws/dev")


def _file(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# -- the contract ------------------------------------------------------------------------------------------
def test_put_returns_size_and_checksum_and_fetch_gives_the_bytes_back(store: ArtifactStore, tmp_path: Path) -> None:
    data = os.urandom(70_000)
    source = _file(tmp_path / "in" / "a.zip", data)
    artifact = store.put("plugins/hello/1.0.0/plg_a.zip", source)
    assert (artifact.key, artifact.size, artifact.sha256) == (
        "plugins/hello/1.0.0/plg_a.zip",
        len(data),
        hashlib.sha256(data).hexdigest(),
    )
    fetched = store.fetch(artifact.key, tmp_path / "out" / "deep" / "a.zip")
    assert fetched == tmp_path / "out" / "deep" / "a.zip" and fetched.read_bytes() == data
    assert source.read_bytes() == data  # the source is left as it was


def test_exists_and_delete(store: ArtifactStore, tmp_path: Path) -> None:
    key = "backups/ten_a/site_b/bak_c.tar.gz"
    assert not store.exists(key)
    store.put(key, _file(tmp_path / "b.tar.gz", b"backup"))
    assert store.exists(key)
    store.delete(key)
    assert not store.exists(key)
    store.delete(key)  # deleting what is gone is fine


def test_fetching_a_missing_key_raises_artifact_missing(store: ArtifactStore, tmp_path: Path) -> None:
    with pytest.raises(ArtifactMissing):
        store.fetch("plugins/none/1.0/plg_none.zip", tmp_path / "none.zip")
    assert not (tmp_path / "none.zip").exists()
    assert not any(tmp_path.glob("none.zip*"))  # no partial download left behind


def test_put_replaces_what_was_there(store: ArtifactStore, tmp_path: Path) -> None:
    key = "templates/business/1/tpl_a.tar.gz"
    store.put(key, _file(tmp_path / "one", b"first"))
    second = store.put(key, _file(tmp_path / "two", b"second version"))
    assert second.size == len(b"second version")
    assert store.fetch(key, tmp_path / "got").read_bytes() == b"second version"


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs/key", "Upper/case", "a//b", "plugins/x/../y"])
def test_keys_that_the_platform_does_not_make_are_refused(store: ArtifactStore, tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError):
        store.put(key, _file(tmp_path / "x", b"x"))
    with pytest.raises(ValueError):
        store.fetch(key, tmp_path / "y")


# -- S3 only -----------------------------------------------------------------------------------------------
def test_objects_live_under_the_prefix_with_their_checksum(s3: Any, bucket: str, tmp_path: Path) -> None:
    store = S3Artifacts(s3, bucket, "/bbws/dev/")
    artifact = store.put("plugins/hello/1.0.0/plg_a.zip", _file(tmp_path / "a.zip", b"zip bytes"))
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == ["bbws/dev/plugins/hello/1.0.0/plg_a.zip"]
    head = s3.head_object(Bucket=bucket, Key=listed[0])
    assert head["Metadata"] == {"sha256": artifact.sha256}
    assert store.head(artifact.key) == {"size": 9, "sha256": artifact.sha256}
    assert store.head("plugins/none.zip") is None


def test_a_large_file_goes_up_in_parts_and_keeps_its_checksum(s3: Any, bucket: str, tmp_path: Path) -> None:
    data = os.urandom(9 << 20)  # over boto3's 8 MiB multipart threshold
    store = S3Artifacts(s3, bucket)
    artifact = store.put("backups/ten_a/site_b/bak_big.tar.gz", _file(tmp_path / "big", data))
    assert artifact.sha256 == hashlib.sha256(data).hexdigest()
    head = s3.head_object(Bucket=bucket, Key=artifact.key)
    assert head["Metadata"]["sha256"] == artifact.sha256 and "-" in head["ETag"]  # a multipart ETag
    assert store.fetch(artifact.key, tmp_path / "back").read_bytes() == data


def test_no_client_is_made_before_the_first_call() -> None:
    store = S3Artifacts(None, "bucket", endpoint_url="http://127.0.0.1:9")
    assert not store._clients.made


def test_the_app_builds_the_s3_store_from_settings(aws_env: dict[str, str], bucket: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, artifact_store="s3", artifact_bucket=bucket, artifact_prefix="p", **aws_env)
    store = build_artifacts(settings)
    assert isinstance(store, S3Artifacts)
    store.put("plugins/a/1/plg_a.zip", _file(tmp_path / "a", b"a"))
    assert store.exists("plugins/a/1/plg_a.zip") and store.prefix == "p/"


def test_s3_needs_a_bucket(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, artifact_store="s3")
    with pytest.raises(ValueError, match="BBWS_ARTIFACT_BUCKET"):
        S3Artifacts.from_settings(settings)
