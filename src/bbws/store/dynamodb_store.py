"""DynamoDB adapter of the item store: one table, three generic GSIs, the same semantics as SqliteStore."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from bbws.core.boto import LazyClient
from bbws.core.store import (
    INDEXES,
    Check,
    Condition,
    ConditionFailed,
    Delete,
    Item,
    ItemStore,
    Key,
    Op,
    Page,
    Put,
    is_expired,
    key_of,
    matches,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

BATCH_GET_CHUNK = 100
MAX_TRANSACT_OPS = 100
_BATCH_GET_ATTEMPTS = 10

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def table_definition(table_name: str) -> dict[str, Any]:
    """The CreateTable arguments: `pk`/`sk` key, pay-per-request, GSI1..GSI3 projecting everything."""
    attributes = ["pk", "sk", *(f"{i}{part}" for i in INDEXES for part in ("PK", "SK"))]
    return {
        "TableName": table_name,
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in attributes],
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [
            {
                "IndexName": i,
                "KeySchema": [
                    {"AttributeName": f"{i}PK", "KeyType": "HASH"},
                    {"AttributeName": f"{i}SK", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for i in INDEXES
        ],
    }


# -- conversion between JSON-like Python values and DynamoDB attribute values
def _to_dynamo(value: Any) -> Any:
    # TypeSerializer refuses floats (they are inexact); str() keeps the shortest repr, so 0.1 stays 0.1.
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, Mapping):
        return {k: _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    return value


def _serialize_item(item: Mapping[str, Any]) -> dict[str, Any]:
    index_keys = {f"{i}{part}" for i in INDEXES for part in ("PK", "SK")}
    # A None index key means "not indexed" in SQLite; DynamoDB rejects a NULL key attribute, so omit it.
    return {
        name: _serializer.serialize(_to_dynamo(value))
        for name, value in item.items()
        if not (value is None and name in index_keys)
    }


def _deserialize_item(raw: Mapping[str, Any]) -> Item:
    return {name: _from_dynamo(_deserializer.deserialize(value)) for name, value in raw.items()}


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _condition_args(cond: Condition | None) -> dict[str, Any]:
    """ConditionExpression arguments for a guard; an item whose `ttl` has passed counts as absent.

    "Not expired" is written `NOT (#ttl <= :now)` rather than `#ttl > :now`: a comparison with a missing
    or non-numeric `ttl` is false in DynamoDB, so this form also accepts items with `ttl: None`, as
    `is_expired` does.
    """
    if cond is None:
        return {}
    names = {"#ttl": "ttl"}
    values: dict[str, Any] = {":now": {"N": str(Decimal(str(time.time())))}}
    if cond.kind == "not_exists":
        expression = "attribute_not_exists(pk) OR #ttl <= :now"
    elif cond.kind == "exists":
        expression = "attribute_exists(pk) AND (attribute_not_exists(#ttl) OR NOT (#ttl <= :now))"
    elif cond.kind == "version":
        if cond.version is None:
            raise ValueError("a version condition needs a version")
        names["#version"] = "version"
        values[":v"] = _serializer.serialize(cond.version)
        expression = "#version = :v AND (attribute_not_exists(#ttl) OR NOT (#ttl <= :now))"
    else:
        raise ValueError(f"unknown condition {cond.kind}")
    return {
        "ConditionExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _cancellation_codes(error: ClientError) -> list[str | None]:
    reasons = error.response.get("CancellationReasons")
    if reasons is not None:
        return [r.get("Code") if r.get("Code") not in (None, "None") else None for r in reasons]
    # Older botocore/moto only put the reasons in the message: "... reasons [ConditionalCheckFailed, None]".
    message = str(error.response.get("Error", {}).get("Message", ""))
    if "[" not in message:
        return []
    inner = message[message.rfind("[") + 1 : message.rfind("]")]
    return [c.strip() if c.strip() not in ("", "None") else None for c in inner.split(",")]


class DynamoDbStore(ItemStore):
    def __init__(
        self,
        table_name: str,
        *,
        client: DynamoDBClient | None = None,
        region: str = "af-south-1",
        endpoint_url: str | None = None,
    ) -> None:
        self.table_name = table_name
        self.region = region
        self.endpoint_url = endpoint_url
        self._clients = LazyClient("dynamodb", region=region, endpoint_url=endpoint_url, client=client)
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    @property
    def _client(self) -> DynamoDBClient:
        client: DynamoDBClient = self._clients.get()
        return client

    def _count(self, kind: str) -> None:
        with self._lock:
            self._counts[kind] += 1

    def counters(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def close(self) -> None:
        self._clients.close()

    # -- schema
    def ensure_schema(self) -> None:
        client = self._client
        try:
            client.describe_table(TableName=self.table_name)
        except ClientError as error:
            if _error_code(error) != "ResourceNotFoundException":
                raise
            try:
                client.create_table(**table_definition(self.table_name))
            except ClientError as create_error:
                # Another process created it between our describe and create: just wait for it below.
                if _error_code(create_error) != "ResourceInUseException":
                    raise
        client.get_waiter("table_exists").wait(TableName=self.table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        # Checked on every call (not only after creating), so a run that died right after CreateTable
        # still ends with TTL and PITR on; when both are on, nothing is written.
        ttl = client.describe_time_to_live(TableName=self.table_name)["TimeToLiveDescription"]
        if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            client.update_time_to_live(
                TableName=self.table_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"},
            )
        backups = client.describe_continuous_backups(TableName=self.table_name)
        pitr = backups["ContinuousBackupsDescription"].get("PointInTimeRecoveryDescription", {})
        if pitr.get("PointInTimeRecoveryStatus") != "ENABLED":
            client.update_continuous_backups(
                TableName=self.table_name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )

    # -- reads
    def get(self, pk: str, sk: str) -> Item | None:
        self._count("get")
        response = self._client.get_item(TableName=self.table_name, Key=_key(pk, sk), ConsistentRead=True)
        raw = response.get("Item")
        if raw is None:
            return None
        item = _deserialize_item(raw)
        return None if is_expired(item) else item

    def batch_get(self, keys: Sequence[tuple[str, str]]) -> list[Item]:
        # BatchGetItem rejects a repeated key within one request, so ask for each key once.
        unique = list(dict.fromkeys((pk, sk) for pk, sk in keys))
        found: dict[tuple[str, str], Item] = {}
        for start in range(0, len(unique), BATCH_GET_CHUNK):
            chunk = unique[start : start + BATCH_GET_CHUNK]
            # Consistent, like `get` and the SQLite adapter: a caller may read what it just wrote.
            request: dict[str, Any] = {
                self.table_name: {"Keys": [_key(pk, sk) for pk, sk in chunk], "ConsistentRead": True}
            }
            for attempt in range(_BATCH_GET_ATTEMPTS):
                self._count("batch_get")
                response = self._client.batch_get_item(RequestItems=request)
                for raw in response.get("Responses", {}).get(self.table_name, []):
                    item = _deserialize_item(raw)
                    found[(item["pk"], item["sk"])] = item
                request = dict(response.get("UnprocessedKeys") or {})
                if not request:
                    break
                # Unprocessed keys mean throttling; back off before asking again.
                time.sleep(min(0.05 * 2**attempt, 2.0))
            else:
                raise RuntimeError(f"batch_get: keys still unprocessed after {_BATCH_GET_ATTEMPTS} attempts")
        now = time.time()
        result: list[Item] = []
        for pk, sk in keys:
            hit = found.get((pk, sk))
            if hit is not None and not is_expired(hit, now):
                result.append(hit)
        return result

    def query(
        self,
        pk: str,
        *,
        sk_prefix: str = "",
        index: str | None = None,
        limit: int = 100,
        start_after: Key | None = None,
        descending: bool = False,
        filters: Mapping[str, Any] | None = None,
    ) -> Page:
        if index is not None and index not in INDEXES:
            raise ValueError(f"unknown index {index}")
        limit = max(limit, 0)
        pk_name, sk_name = (f"{index}PK", f"{index}SK") if index else ("pk", "sk")
        expression = "#pk = :pk"
        names = {"#pk": pk_name}
        values: dict[str, Any] = {":pk": {"S": pk}}
        if sk_prefix:
            expression += " AND begins_with(#sk, :prefix)"
            names["#sk"] = sk_name
            values[":prefix"] = {"S": sk_prefix}
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": not descending,
        }
        if index:
            request["IndexName"] = index
        else:
            request["ConsistentRead"] = True  # GSIs only offer eventual consistency
        exclusive_start: dict[str, Any] | None = (
            {name: {"S": value} for name, value in start_after.items()} if start_after else None
        )
        # One item beyond the limit tells whether another page exists, exactly as the SQLite adapter does;
        # DynamoDB may stop short of Limit at 1 MB, so keep asking until we have it or the partition ends.
        wanted = limit + 1
        raw: list[Item] = []
        while len(raw) < wanted:
            call = {**request, "Limit": wanted - len(raw)}
            if exclusive_start:
                call["ExclusiveStartKey"] = exclusive_start
            self._count("query")
            response = self._client.query(**call)
            raw += [_deserialize_item(r) for r in response.get("Items", [])]
            exclusive_start = response.get("LastEvaluatedKey")
            if not exclusive_start:
                break
        more = len(raw) > limit
        raw = raw[:limit]
        now = time.time()
        items = [it for it in raw if not is_expired(it, now) and matches(it, filters)]
        return Page(items=items, last_key=key_of(raw[-1], index) if more and raw else None, read=len(raw))

    # -- writes
    def put(self, item: Item, *, condition: Condition | None = None) -> None:
        self._count("put")
        try:
            # Guard (when given): the caller's create-only / must-exist / optimistic-version rule.
            self._client.put_item(TableName=self.table_name, Item=_serialize_item(item), **_condition_args(condition))
        except ClientError as error:
            if _error_code(error) == "ConditionalCheckFailedException":
                raise ConditionFailed(item["pk"], item["sk"]) from error
            raise

    def delete(self, pk: str, sk: str, *, condition: Condition | None = None) -> None:
        self._count("delete")
        try:
            # Guard (when given): only delete what the caller saw (exists / at its version).
            self._client.delete_item(TableName=self.table_name, Key=_key(pk, sk), **_condition_args(condition))
        except ClientError as error:
            if _error_code(error) == "ConditionalCheckFailedException":
                raise ConditionFailed(pk, sk) from error
            raise

    def _transact_item(self, op: Op) -> tuple[tuple[str, str], dict[str, Any]]:
        # Each op's guard is the caller's rule for that item; any failing guard cancels the whole write.
        if isinstance(op, Put):
            body = {"TableName": self.table_name, "Item": _serialize_item(op.item)}
            return (op.item["pk"], op.item["sk"]), {"Put": {**body, **_condition_args(op.condition)}}
        if isinstance(op, Delete):
            body = {"TableName": self.table_name, "Key": _key(op.pk, op.sk)}
            return (op.pk, op.sk), {"Delete": {**body, **_condition_args(op.condition)}}
        if isinstance(op, Check):
            body = {"TableName": self.table_name, "Key": _key(op.pk, op.sk)}
            return (op.pk, op.sk), {"ConditionCheck": {**body, **_condition_args(op.condition)}}
        raise TypeError(f"not a store operation: {op!r}")

    def transact(self, ops: Sequence[Op]) -> None:
        if len(ops) > MAX_TRANSACT_OPS:
            raise ValueError("a transaction holds at most 100 operations")
        if not ops:
            return  # TransactWriteItems rejects an empty list; nothing to apply
        keyed = [self._transact_item(op) for op in ops]
        keys = [k for k, _ in keyed]
        if len(set(keys)) != len(keys):
            # DynamoDB refuses two ops on one item in a transaction; say so plainly rather than
            # surfacing a ValidationException (the SQLite adapter would apply them in order).
            raise ValueError("a transaction may touch each item at most once")
        self._count("transact")
        try:
            items = cast("list[TransactWriteItemTypeDef]", [body for _, body in keyed])
            self._client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if _error_code(error) != "TransactionCanceledException":
                raise
            for i, code in enumerate(_cancellation_codes(error)):
                if code == "ConditionalCheckFailed" and i < len(keys):
                    raise ConditionFailed(keys[i][0], keys[i][1], i) from error
            raise
