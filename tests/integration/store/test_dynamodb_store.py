"""DynamoDB-only behaviour of the adapter: schema, TTL/PITR settings, request chunking, retries, errors."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bbws.core.store import NOT_EXISTS, ConditionFailed, Put
from bbws.store.dynamodb_store import DynamoDbStore, table_definition
from tests.support.moto_server import boto_client


def new_store(endpoint: str, client: Any = None) -> DynamoDbStore:
    client = client or boto_client("dynamodb", endpoint)
    store = DynamoDbStore(f"bbws-test-{uuid.uuid4().hex[:12]}", client=client)
    store.ensure_schema()
    return store


class RecordingClient:
    """Delegates to a real client, recording operation names and letting a test rewrite responses."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[str] = []
        self.rewrite: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)
        if not callable(target) or name in ("get_waiter", "close"):
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            response = target(*args, **kwargs)
            hook = self.rewrite.get(name)
            return hook(kwargs, response) if hook else response

        return call


def test_ensure_schema_creates_the_declared_table(moto_endpoint: str) -> None:
    client = boto_client("dynamodb", moto_endpoint)
    store = new_store(moto_endpoint, client)
    expected = table_definition(store.table_name)
    table = client.describe_table(TableName=store.table_name)["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["KeySchema"] == expected["KeySchema"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == sorted(
        expected["AttributeDefinitions"], key=lambda a: a["AttributeName"]
    )
    indexes = {i["IndexName"]: i for i in table["GlobalSecondaryIndexes"]}
    assert set(indexes) == {"GSI1", "GSI2", "GSI3"}
    for name, index in indexes.items():
        assert index["KeySchema"] == [
            {"AttributeName": f"{name}PK", "KeyType": "HASH"},
            {"AttributeName": f"{name}SK", "KeyType": "RANGE"},
        ]
        assert index["Projection"] == {"ProjectionType": "ALL"}
    ttl = client.describe_time_to_live(TableName=store.table_name)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}
    backups = client.describe_continuous_backups(TableName=store.table_name)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_ensure_schema_twice_writes_nothing(moto_endpoint: str) -> None:
    recorder = RecordingClient(boto_client("dynamodb", moto_endpoint))
    store = new_store(moto_endpoint, recorder)
    assert "create_table" in recorder.calls
    recorder.calls.clear()
    store.ensure_schema()
    assert all(call.startswith("describe_") for call in recorder.calls), recorder.calls
    assert store.counters() == {}


def test_query_keeps_asking_past_the_one_megabyte_page(moto_endpoint: str) -> None:
    store = new_store(moto_endpoint)
    pk, blob = "big", "x" * 300_000
    for i in range(6):
        store.put({"pk": pk, "sk": f"{i:02d}", "blob": blob})
    before = store.counters().get("query", 0)
    page = store.query(pk, limit=5)
    assert [it["sk"] for it in page.items] == ["00", "01", "02", "03", "04"]
    assert page.last_key == {"pk": pk, "sk": "04"} and page.read == 5
    assert store.counters()["query"] - before >= 2  # several requests, each counted
    rest = store.query(pk, limit=5, start_after=page.last_key)
    assert [it["sk"] for it in rest.items] == ["05"] and rest.last_key is None


def test_batch_get_retries_unprocessed_keys(moto_endpoint: str) -> None:
    recorder = RecordingClient(boto_client("dynamodb", moto_endpoint))
    store = new_store(moto_endpoint, recorder)
    for i in range(5):
        store.put({"pk": "p", "sk": str(i)})
    throttled = {"left": 1}

    def drop_half(kwargs: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
        if not throttled["left"]:
            return response
        throttled["left"] -= 1
        found = response["Responses"][store.table_name]
        kept, dropped = found[:2], found[2:]
        keys = [{"pk": it["pk"], "sk": it["sk"]} for it in dropped]
        return {
            "Responses": {store.table_name: kept},
            "UnprocessedKeys": {store.table_name: {"Keys": keys, "ConsistentRead": True}},
        }

    recorder.rewrite["batch_get_item"] = drop_half
    got = store.batch_get([("p", "4"), ("p", "3"), ("p", "2"), ("p", "1"), ("p", "0")])
    assert [it["sk"] for it in got] == ["4", "3", "2", "1", "0"]
    assert recorder.calls.count("batch_get_item") == 2
    assert store.counters()["batch_get"] == 2


def test_batch_get_splits_into_requests_of_100(moto_endpoint: str) -> None:
    store = new_store(moto_endpoint)
    store.put({"pk": "p", "sk": "250"})
    got = store.batch_get([("p", str(i)) for i in range(251)])
    assert [it["sk"] for it in got] == ["250"]
    assert store.counters()["batch_get"] == 3


def test_transaction_touching_one_item_twice_is_rejected(moto_endpoint: str) -> None:
    store = new_store(moto_endpoint)
    with pytest.raises(ValueError):
        store.transact([Put({"pk": "p", "sk": "a"}), Put({"pk": "p", "sk": "a", "x": 1})])
    assert store.counters().get("transact", 0) == 0


def test_cancellation_without_a_failed_condition_is_reraised(moto_endpoint: str) -> None:
    recorder = RecordingClient(boto_client("dynamodb", moto_endpoint))
    store = new_store(moto_endpoint, recorder)

    def conflict(kwargs: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
        raise ClientError(
            {
                "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
                "CancellationReasons": [{"Code": "None"}, {"Code": "TransactionConflict"}],
            },
            "TransactWriteItems",
        )

    recorder.rewrite["transact_write_items"] = conflict
    with pytest.raises(ClientError) as err:
        store.transact([Put({"pk": "p", "sk": "a"}), Put({"pk": "p", "sk": "b"})])
    assert not isinstance(err.value, ConditionFailed)


def test_cancellation_reasons_read_from_the_message_when_not_modelled(moto_endpoint: str) -> None:
    recorder = RecordingClient(boto_client("dynamodb", moto_endpoint))
    store = new_store(moto_endpoint, recorder)

    def message_only(kwargs: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
        raise ClientError(
            {
                "Error": {
                    "Code": "TransactionCanceledException",
                    "Message": "Transaction cancelled, please refer cancellation reasons for specific "
                    "reasons [None, ConditionalCheckFailed]",
                }
            },
            "TransactWriteItems",
        )

    recorder.rewrite["transact_write_items"] = message_only
    with pytest.raises(ConditionFailed) as err:
        store.transact([Put({"pk": "p", "sk": "a"}), Put({"pk": "p", "sk": "b"}, NOT_EXISTS)])
    assert (err.value.sk, err.value.index) == ("b", 1)


def test_other_errors_pass_through(moto_endpoint: str) -> None:
    store = DynamoDbStore("no-such-table", client=boto_client("dynamodb", moto_endpoint))
    with pytest.raises(ClientError) as err:
        store.put({"pk": "p", "sk": "a"}, condition=NOT_EXISTS)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_none_index_keys_mean_not_indexed(moto_endpoint: str) -> None:
    store = new_store(moto_endpoint)
    store.put({"pk": "p", "sk": "a", "GSI1PK": None, "GSI1SK": None, "other": None})
    assert store.get("p", "a") == {"pk": "p", "sk": "a", "other": None}
