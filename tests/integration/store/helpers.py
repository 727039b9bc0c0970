"""Shared helpers of the store contract tests: random ids, TTL values, paging and seeding."""

from __future__ import annotations

import time
import uuid
from typing import Any

from bbws.core.store import Item, ItemStore, Key


def rid(prefix: str = "t") -> str:
    return f"{prefix}#{uuid.uuid4().hex[:12]}"


def expired() -> int:
    return int(time.time()) - 60


def future() -> int:
    return int(time.time()) + 3600


def page_through(store: ItemStore, pk: str, limit: int, **kwargs: Any) -> tuple[list[Item], int]:
    """All items of a query, following `last_key`; also the number of pages."""
    seen: list[Item] = []
    start: Key | None = None
    pages = 0
    while True:
        page = store.query(pk, limit=limit, start_after=start, **kwargs)
        pages += 1
        assert page.read <= limit
        seen += page.items
        if page.last_key is None:
            return seen, pages
        assert page.read == limit  # a cursor is only handed out after a full page
        start = page.last_key
        assert pages < 1000, "pagination does not terminate"


def seed_partition(store: ItemStore, pk: str, n: int, prefix: str = "item#") -> list[str]:
    sks = [f"{prefix}{i:03d}" for i in range(n)]
    # Written out of order, so sorting is the store's doing.
    for sk in reversed(sks):
        store.put({"pk": pk, "sk": sk, "n": int(sk[-3:])})
    return sks
