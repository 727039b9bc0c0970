"""The API on DynamoDB: a moto server per test session, a fresh table and a harness per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bbws.app import build_store
from bbws.core.settings import Settings
from tests.support.api import ApiHarness
from tests.support.moto_server import REGION, moto_server


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def dynamo_settings(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Where the table is; the one setting that switches the store, `BBWS_STORE=dynamodb`, is set the way a
    user sets it (ApiHarness's own `store=` takes a store object). The app finds credentials the way boto3
    always does, so the test gives it dummy ones in the environment (never a real profile)."""
    monkeypatch.setenv("BBWS_STORE", "dynamodb")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    return {
        "dynamodb_table": f"bbws-{uuid.uuid4().hex[:12]}",
        "aws_endpoint_url": moto_endpoint,
        "aws_region": REGION,
    }


@pytest.fixture
def api(tmp_path: Path, dynamo_settings: dict[str, str]) -> Iterator[ApiHarness]:
    store = build_store(Settings(data_dir=tmp_path / "data", **dynamo_settings))  # type: ignore[arg-type]
    store.ensure_schema()  # what `bbws store init` does
    store.close()
    harness = ApiHarness(tmp_path / "data", **dynamo_settings)
    try:
        yield harness
    finally:
        harness.container.store.close()
