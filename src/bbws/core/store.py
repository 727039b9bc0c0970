"""The item-store port: single-table semantics (partition + sort key, generic GSIs, conditions, transactions, TTL).

Both adapters (SQLite and DynamoDB) implement exactly these semantics; `tests/integration/store` runs one
suite against both. Items are JSON-like dicts; `pk`/`sk` are the table key, `GSI{n}PK`/`GSI{n}SK` the
secondary index keys, `ttl` (epoch seconds) an expiry after which the item no longer exists for readers,
and `version` the optimistic-lock counter that services compare on every update.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Item = dict[str, Any]
Key = dict[str, str]

INDEXES = ("GSI1", "GSI2", "GSI3")


@dataclass(frozen=True)
class Condition:
    """A guard on one item: it must not exist, must exist, or must be at a given `version`."""

    kind: Literal["not_exists", "exists", "version"]
    version: int | None = None


NOT_EXISTS = Condition("not_exists")
EXISTS = Condition("exists")


def version_is(version: int) -> Condition:
    return Condition("version", version)


@dataclass(frozen=True)
class Put:
    item: Item
    condition: Condition | None = None


@dataclass(frozen=True)
class Delete:
    pk: str
    sk: str
    condition: Condition | None = None


@dataclass(frozen=True)
class Check:
    pk: str
    sk: str
    condition: Condition


Op = Put | Delete | Check


class ConditionFailed(Exception):
    """A condition did not hold; nothing was written. `index` names the failing op of a transaction."""

    def __init__(self, pk: str, sk: str, index: int | None = None) -> None:
        super().__init__(f"condition failed on {pk} / {sk}")
        self.pk, self.sk, self.index = pk, sk, index


@dataclass
class Page:
    items: list[Item]
    last_key: Key | None = None
    read: int = field(default=0)


def is_expired(item: Mapping[str, Any], now: float | None = None) -> bool:
    ttl = item.get("ttl")
    return isinstance(ttl, int | float) and ttl <= (time.time() if now is None else now)


def key_of(item: Mapping[str, Any], index: str | None = None) -> Key:
    """The exclusive-start key for an item: the table key, plus the index key when paging an index."""
    key = {"pk": item["pk"], "sk": item["sk"]}
    if index:
        key[f"{index}PK"] = item[f"{index}PK"]
        key[f"{index}SK"] = item[f"{index}SK"]
    return key


def matches(item: Mapping[str, Any], filters: Mapping[str, Any] | None) -> bool:
    return not filters or all(item.get(name) == value for name, value in filters.items())


class ItemStore(ABC):
    """Port. Reads never return expired items; `NOT_EXISTS` treats an expired item as absent."""

    @abstractmethod
    def get(self, pk: str, sk: str) -> Item | None:
        """One item by its key (strongly consistent), or None."""

    @abstractmethod
    def batch_get(self, keys: Sequence[tuple[str, str]]) -> list[Item]:
        """The items that exist among `keys`, in the order asked."""

    @abstractmethod
    def put(self, item: Item, *, condition: Condition | None = None) -> None:
        """Write a whole item; raise ConditionFailed when the guard does not hold."""

    @abstractmethod
    def delete(self, pk: str, sk: str, *, condition: Condition | None = None) -> None:
        """Remove an item (absent is fine unless guarded)."""

    @abstractmethod
    def transact(self, ops: Sequence[Op]) -> None:
        """Apply every op or none; ConditionFailed names the first op whose guard failed."""

    @abstractmethod
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
        """Up to `limit` items of one partition (of the table or of `index`) whose sort key starts with
        `sk_prefix`, in sort-key order. `filters` (attribute equality) apply after the limit, as in
        DynamoDB, so a page may hold fewer items; `last_key` is set only when more items may follow."""

    def iterate(
        self, pk: str, *, sk_prefix: str = "", index: str | None = None, descending: bool = False
    ) -> Iterator[Item]:
        """Every item `query` would page through, read a page at a time as the caller goes on (stop early
        to read less). For background work over a partition, never for a request's answer (lists page)."""
        start: Key | None = None
        while True:
            page = self.query(pk, sk_prefix=sk_prefix, index=index, limit=100, start_after=start, descending=descending)
            yield from page.items
            if not page.last_key:
                return
            start = page.last_key

    def ensure_schema(self) -> None:
        """Create the table and its indexes when they are missing."""

    def close(self) -> None:
        """Release connections."""

    def counters(self) -> dict[str, int]:
        """Calls made so far, by kind (for benchmarks and tests)."""
        return {}
