"""Importing or constructing the DynamoDB adapter must not create a boto3 client (no AWS config at import)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest

_NO_CLIENT_AT_IMPORT = textwrap.dedent(
    """
    import botocore.session

    def refuse(*args, **kwargs):
        raise AssertionError("a boto3/botocore client was created")

    botocore.session.Session.create_client = refuse
    import bbws.store
    import bbws.store.dynamodb_store as module
    module.DynamoDbStore("t")
    module.DynamoDbStore("t", region="eu-west-1", endpoint_url="http://127.0.0.1:9").counters()
    module.table_definition("t")
    """
)


def test_import_and_construction_create_no_client() -> None:
    # A fresh interpreter, because this process may already have imported the module.
    result = subprocess.run([sys.executable, "-c", _NO_CLIENT_AT_IMPORT], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


class FakeClient:
    def __init__(self) -> None:
        self.closed = False

    def get_item(self, **kwargs: Any) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        self.closed = True


def test_client_is_created_once_on_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    from bbws.store.dynamodb_store import DynamoDbStore

    made: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    fake = FakeClient()

    def client(*args: Any, **kwargs: Any) -> FakeClient:
        made.append((args, kwargs))
        return fake

    monkeypatch.setattr(boto3, "client", client)
    store = DynamoDbStore("t", region="eu-west-1", endpoint_url="http://127.0.0.1:9")
    assert made == []
    assert store.get("a", "b") is None
    assert store.get("a", "c") is None
    assert made == [(("dynamodb",), {"region_name": "eu-west-1", "endpoint_url": "http://127.0.0.1:9"})]
    store.close()
    assert fake.closed


def test_injected_client_is_used_and_left_open(monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    from bbws.store.dynamodb_store import DynamoDbStore

    monkeypatch.setattr(boto3, "client", lambda *a, **k: pytest.fail("must use the injected client"))
    fake = FakeClient()
    store = DynamoDbStore("t", client=fake)  # type: ignore[arg-type]
    assert store.get("a", "b") is None
    store.close()
    assert not fake.closed
