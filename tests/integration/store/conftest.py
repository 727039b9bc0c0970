"""The `store` fixture: every contract test runs once on SQLite and once on DynamoDB (moto server)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bbws.core.store import ItemStore
from bbws.store.dynamodb_store import DynamoDbStore
from bbws.store.sqlite_store import SqliteStore
from tests.support.moto_server import boto_client, moto_server


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ItemStore]:
    s: ItemStore
    if request.param == "sqlite":
        s = SqliteStore(tmp_path / "s.db")
    else:
        endpoint = request.getfixturevalue("moto_endpoint")
        s = DynamoDbStore(f"bbws-test-{uuid.uuid4().hex[:12]}", client=boto_client("dynamodb", endpoint))
        s.ensure_schema()
    try:
        yield s
    finally:
        s.close()
