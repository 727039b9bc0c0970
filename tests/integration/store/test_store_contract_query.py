"""The item-store contract for queries: prefixes, order, pagination, indexes, filters."""

from __future__ import annotations

import math

import pytest

from bbws.core.store import INDEXES, ItemStore
from tests.integration.store.helpers import page_through, rid, seed_partition


def test_query_by_prefix_in_sort_key_order(store: ItemStore) -> None:
    pk = rid()
    sks = seed_partition(store, pk, 5)
    store.put({"pk": pk, "sk": "meta"})
    store.put({"pk": pk, "sk": "item"})  # shorter than the prefix: not a match
    store.put({"pk": rid(), "sk": "item#000"})  # other partition
    page = store.query(pk, sk_prefix="item#")
    assert [it["sk"] for it in page.items] == sks
    assert page.last_key is None and page.read == 5
    everything = store.query(pk)
    assert [it["sk"] for it in everything.items] == ["item", *sks, "meta"]


def test_query_descending(store: ItemStore) -> None:
    pk = rid()
    sks = seed_partition(store, pk, 4)
    page = store.query(pk, sk_prefix="item#", descending=True)
    assert [it["sk"] for it in page.items] == list(reversed(sks))


def test_query_of_empty_partition(store: ItemStore) -> None:
    page = store.query(rid())
    assert page.items == [] and page.last_key is None and page.read == 0


@pytest.mark.parametrize("descending", [False, True])
def test_query_pagination_visits_every_item_once(store: ItemStore, descending: bool) -> None:
    pk = rid()
    sks = seed_partition(store, pk, 10)
    store.put({"pk": pk, "sk": "zzz-other"})
    expected = list(reversed(sks)) if descending else sks
    for size in (1, 2, 3, 4, 5, 9, 10, 11, 50):
        seen, pages = page_through(store, pk, size, sk_prefix="item#", descending=descending)
        assert [it["sk"] for it in seen] == expected, size
        assert pages == max(1, math.ceil(len(sks) / size)), size


def test_query_last_key_is_the_last_item_read(store: ItemStore) -> None:
    pk = rid()
    seed_partition(store, pk, 3)
    page = store.query(pk, limit=2)
    assert page.last_key == {"pk": pk, "sk": "item#001"}
    page = store.query(pk, limit=3)
    assert page.last_key is None


def test_query_unknown_index_is_rejected(store: ItemStore) -> None:
    with pytest.raises(ValueError):
        store.query("x", index="GSI9")


# -- queries on the indexes
@pytest.mark.parametrize("index", INDEXES)
def test_index_query_with_pagination(store: ItemStore, index: str) -> None:
    gpk = rid("owner")
    expected = []
    for i in range(9):
        # Index order differs from table order, so the index really is the one sorting.
        pk, gsk = rid("site"), f"created#{i:03d}"
        store.put({"pk": pk, "sk": "meta", f"{index}PK": gpk, f"{index}SK": gsk, "i": i})
        expected.append(pk)
    store.put({"pk": rid("site"), "sk": "meta", f"{index}PK": gpk, f"{index}SK": "other#1"})
    store.put({"pk": rid("site"), "sk": "meta", f"{index}PK": rid("owner"), f"{index}SK": "created#000"})
    store.put({"pk": rid("site"), "sk": "meta"})  # not in any index

    page = store.query(gpk, index=index, sk_prefix="created#")
    assert [it["pk"] for it in page.items] == expected
    assert store.query(gpk, index=index).read == 10

    for size in (1, 2, 4, 9, 10):
        for descending in (False, True):
            seen, _ = page_through(store, gpk, size, index=index, sk_prefix="created#", descending=descending)
            want = list(reversed(expected)) if descending else expected
            assert [it["pk"] for it in seen] == want, (size, descending)

    first = store.query(gpk, index=index, sk_prefix="created#", limit=2)
    assert first.last_key is not None
    assert set(first.last_key) == {"pk", "sk", f"{index}PK", f"{index}SK"}


def test_index_pagination_with_equal_index_sort_keys(store: ItemStore) -> None:
    gpk = rid("status")
    pks = set()
    for _ in range(7):
        pk = rid("site")
        pks.add(pk)
        store.put({"pk": pk, "sk": "meta", "GSI2PK": gpk, "GSI2SK": "active"})
    for size in (1, 2, 3, 7):
        seen, _ = page_through(store, gpk, size, index="GSI2")
        assert sorted(it["pk"] for it in seen) == sorted(pks), size


def test_index_keeps_items_of_one_partition_apart(store: ItemStore) -> None:
    pk, gpk = rid(), rid("g")
    for i in range(3):
        store.put({"pk": pk, "sk": f"s#{i}", "GSI1PK": gpk, "GSI1SK": f"k#{2 - i}"})
    page = store.query(gpk, index="GSI1")
    assert [it["sk"] for it in page.items] == ["s#2", "s#1", "s#0"]


# -- filters
@pytest.mark.parametrize("index", [None, "GSI1"])
def test_filters_apply_after_the_limit(store: ItemStore, index: str | None) -> None:
    pk = rid()
    gpk = rid("g")
    for i in range(9):
        status = "live" if i % 3 == 0 else "draft"
        store.put({"pk": pk, "sk": f"s#{i}", "status": status, "GSI1PK": gpk, "GSI1SK": f"s#{i}"})
    query_pk = gpk if index else pk
    page = store.query(query_pk, index=index, limit=2, filters={"status": "live"})
    assert [it["sk"] for it in page.items] == ["s#0"]
    assert page.read == 2 and page.last_key is not None
    page = store.query(query_pk, index=index, limit=2, start_after=page.last_key, filters={"status": "live"})
    assert [it["sk"] for it in page.items] == ["s#3"]
    page = store.query(query_pk, index=index, limit=2, start_after=page.last_key, filters={"status": "live"})
    assert page.items == [] and page.read == 2 and page.last_key is not None  # short page, cursor goes on

    seen, pages = page_through(store, query_pk, 2, index=index, filters={"status": "live"})
    assert [it["sk"] for it in seen] == ["s#0", "s#3", "s#6"]
    assert pages == 5
    several = store.query(query_pk, index=index, filters={"status": "draft", "GSI1PK": gpk})
    assert len(several.items) == 6
    assert store.query(query_pk, index=index, filters={"status": "gone"}).items == []
