"""The item-store contract (items, conditions, transactions, TTL, batch reads), run on every adapter."""

from __future__ import annotations

import time

import pytest

from bbws.core.store import (
    EXISTS,
    NOT_EXISTS,
    Check,
    ConditionFailed,
    Delete,
    Item,
    ItemStore,
    Put,
    version_is,
)
from tests.integration.store.helpers import expired, future, rid


# -- get / put round trip
def test_round_trip_keeps_json_like_values(store: ItemStore) -> None:
    item: Item = {
        "pk": rid("tenant"),
        "sk": "profile",
        "name": "Ünïcode ✓",
        "empty": "",
        "count": 42,
        "big": 2**53 + 1,
        "negative": -7,
        "ratio": 0.1,
        "price": 19.99,
        "flag": True,
        "off": False,
        "nothing": None,
        "tags": ["a", "b", 3, 4.5, None, True],
        "empty_list": [],
        "empty_map": {},
        "nested": {"level": {"deeper": [{"x": 1.25, "y": None}, {"z": [1, 2]}], "ok": False}},
    }
    store.put(item)
    got = store.get(item["pk"], "profile")
    assert got == item
    assert got is not None
    assert isinstance(got["flag"], bool) and isinstance(got["count"], int)
    assert isinstance(got["ratio"], float) and isinstance(got["nested"]["level"]["deeper"][0]["x"], float)
    assert got["big"] == 2**53 + 1


def test_get_missing_is_none(store: ItemStore) -> None:
    assert store.get(rid(), "nope") is None


def test_put_replaces_the_whole_item(store: ItemStore) -> None:
    pk = rid()
    store.put({"pk": pk, "sk": "a", "x": 1, "y": 2})
    store.put({"pk": pk, "sk": "a", "x": 3})
    assert store.get(pk, "a") == {"pk": pk, "sk": "a", "x": 3}


# -- conditions on put / delete
def test_put_not_exists(store: ItemStore) -> None:
    pk = rid()
    store.put({"pk": pk, "sk": "a", "v": 1}, condition=NOT_EXISTS)
    with pytest.raises(ConditionFailed) as err:
        store.put({"pk": pk, "sk": "a", "v": 2}, condition=NOT_EXISTS)
    assert (err.value.pk, err.value.sk, err.value.index) == (pk, "a", None)
    assert store.get(pk, "a") == {"pk": pk, "sk": "a", "v": 1}


def test_put_exists(store: ItemStore) -> None:
    pk = rid()
    with pytest.raises(ConditionFailed):
        store.put({"pk": pk, "sk": "a", "v": 1}, condition=EXISTS)
    assert store.get(pk, "a") is None
    store.put({"pk": pk, "sk": "a", "v": 1})
    store.put({"pk": pk, "sk": "a", "v": 2}, condition=EXISTS)
    assert store.get(pk, "a") == {"pk": pk, "sk": "a", "v": 2}


def test_put_version(store: ItemStore) -> None:
    pk = rid()
    with pytest.raises(ConditionFailed):
        store.put({"pk": pk, "sk": "a", "version": 1}, condition=version_is(0))
    store.put({"pk": pk, "sk": "a", "version": 1})
    store.put({"pk": pk, "sk": "a", "version": 2}, condition=version_is(1))
    with pytest.raises(ConditionFailed):
        store.put({"pk": pk, "sk": "a", "version": 2, "stale": True}, condition=version_is(1))
    assert store.get(pk, "a") == {"pk": pk, "sk": "a", "version": 2}


def test_version_condition_fails_when_item_has_no_version(store: ItemStore) -> None:
    pk = rid()
    store.put({"pk": pk, "sk": "a"})
    with pytest.raises(ConditionFailed):
        store.put({"pk": pk, "sk": "a", "version": 1}, condition=version_is(0))


def test_delete_unguarded_and_guarded(store: ItemStore) -> None:
    pk = rid()
    store.delete(pk, "absent")  # absent is fine when unguarded
    with pytest.raises(ConditionFailed) as err:
        store.delete(pk, "absent", condition=EXISTS)
    assert (err.value.pk, err.value.sk) == (pk, "absent")

    store.put({"pk": pk, "sk": "a", "version": 3})
    with pytest.raises(ConditionFailed):
        store.delete(pk, "a", condition=version_is(2))
    with pytest.raises(ConditionFailed):
        store.delete(pk, "a", condition=NOT_EXISTS)
    assert store.get(pk, "a") is not None
    store.delete(pk, "a", condition=version_is(3))
    assert store.get(pk, "a") is None

    store.put({"pk": pk, "sk": "b"})
    store.delete(pk, "b", condition=EXISTS)
    assert store.get(pk, "b") is None


# -- transactions
def test_transact_applies_all_ops(store: ItemStore) -> None:
    pk = rid()
    store.put({"pk": pk, "sk": "old", "version": 1})
    store.put({"pk": pk, "sk": "gone"})
    store.transact(
        [
            Put({"pk": pk, "sk": "new"}, NOT_EXISTS),
            Put({"pk": pk, "sk": "old", "version": 2}, version_is(1)),
            Delete(pk, "gone", EXISTS),
            Check(pk, "new2-missing", NOT_EXISTS),
        ]
    )
    assert store.get(pk, "new") == {"pk": pk, "sk": "new"}
    assert store.get(pk, "old") == {"pk": pk, "sk": "old", "version": 2}
    assert store.get(pk, "gone") is None


def test_transact_is_atomic_and_names_the_failing_op(store: ItemStore) -> None:
    pk = rid()
    store.put({"pk": pk, "sk": "taken", "owner": "first"})
    with pytest.raises(ConditionFailed) as err:
        store.transact(
            [
                Put({"pk": pk, "sk": "zero"}),
                Put({"pk": pk, "sk": "one"}, NOT_EXISTS),
                Put({"pk": pk, "sk": "taken", "owner": "second"}, NOT_EXISTS),
            ]
        )
    assert (err.value.pk, err.value.sk, err.value.index) == (pk, "taken", 2)
    assert store.get(pk, "zero") is None
    assert store.get(pk, "one") is None
    assert store.get(pk, "taken") == {"pk": pk, "sk": "taken", "owner": "first"}


def test_transact_reports_the_first_failing_op(store: ItemStore) -> None:
    pk = rid()
    store.put({"pk": pk, "sk": "x", "version": 5})
    with pytest.raises(ConditionFailed) as err:
        store.transact(
            [
                Put({"pk": pk, "sk": "ok"}, NOT_EXISTS),
                Delete(pk, "missing", EXISTS),
                Put({"pk": pk, "sk": "x", "version": 6}, version_is(4)),
            ]
        )
    assert (err.value.sk, err.value.index) == ("missing", 1)
    assert store.get(pk, "ok") is None


def test_transact_check_ops_guard_the_writes(store: ItemStore) -> None:
    tenant, site = rid("tenant"), rid("site")
    store.put({"pk": tenant, "sk": "meta", "version": 7})
    # The check passes: the write goes through, and the checked item is not modified.
    store.transact([Check(tenant, "meta", version_is(7)), Put({"pk": site, "sk": "meta", "tenant": tenant})])
    assert store.get(site, "meta") == {"pk": site, "sk": "meta", "tenant": tenant}
    assert store.get(tenant, "meta") == {"pk": tenant, "sk": "meta", "version": 7}

    other = rid("site")
    with pytest.raises(ConditionFailed) as err:
        store.transact([Put({"pk": other, "sk": "meta"}), Check(tenant, "meta", version_is(6))])
    assert (err.value.pk, err.value.sk, err.value.index) == (tenant, "meta", 1)
    assert store.get(other, "meta") is None

    with pytest.raises(ConditionFailed) as err:
        store.transact([Check(rid("tenant"), "meta", EXISTS), Put({"pk": other, "sk": "meta"})])
    assert err.value.index == 0
    assert store.get(other, "meta") is None


def test_transact_empty_is_a_no_op(store: ItemStore) -> None:
    store.transact([])


def test_transact_rejects_more_than_100_ops(store: ItemStore) -> None:
    pk = rid()
    with pytest.raises(ValueError):
        store.transact([Put({"pk": pk, "sk": f"{i:03d}"}) for i in range(101)])
    assert store.get(pk, "000") is None


# -- TTL
def test_expired_items_are_invisible_to_readers(store: ItemStore) -> None:
    pk = rid()
    store.put({"pk": pk, "sk": "a", "ttl": future()})
    store.put({"pk": pk, "sk": "b", "ttl": expired(), "GSI1PK": pk, "GSI1SK": "b"})
    store.put({"pk": pk, "sk": "c", "ttl": None, "GSI1PK": pk, "GSI1SK": "c"})
    store.put({"pk": pk, "sk": "d", "ttl": time.time() - 1.5})
    assert store.get(pk, "a") is not None
    assert store.get(pk, "b") is None
    assert store.get(pk, "c") is not None
    assert store.get(pk, "d") is None
    assert [it["sk"] for it in store.batch_get([(pk, "b"), (pk, "a"), (pk, "d"), (pk, "c")])] == ["a", "c"]

    page = store.query(pk)
    assert [it["sk"] for it in page.items] == ["a", "c"]
    assert page.read == 4  # expired items still count as read, like DynamoDB's scanned items
    assert [it["sk"] for it in store.query(pk, index="GSI1").items] == ["c"]


def test_conditions_treat_expired_items_as_absent(store: ItemStore) -> None:
    pk = rid()
    store.put({"pk": pk, "sk": "lock", "owner": "old", "version": 4, "ttl": expired()})
    with pytest.raises(ConditionFailed):
        store.put({"pk": pk, "sk": "lock", "owner": "x"}, condition=EXISTS)
    with pytest.raises(ConditionFailed):
        store.put({"pk": pk, "sk": "lock", "owner": "x"}, condition=version_is(4))
    with pytest.raises(ConditionFailed):
        store.transact([Check(pk, "lock", EXISTS)])
    fresh = {"pk": pk, "sk": "lock", "owner": "new", "ttl": future()}
    store.put(fresh, condition=NOT_EXISTS)
    assert store.get(pk, "lock") == fresh
    with pytest.raises(ConditionFailed):
        store.put({"pk": pk, "sk": "lock", "owner": "other"}, condition=NOT_EXISTS)
    store.transact([Check(pk, "lock", EXISTS)])


def test_item_with_null_ttl_never_expires(store: ItemStore) -> None:
    pk = rid()
    store.put({"pk": pk, "sk": "a", "ttl": None, "version": 1})
    store.put({"pk": pk, "sk": "a", "ttl": None, "version": 2}, condition=EXISTS)
    store.put({"pk": pk, "sk": "a", "ttl": None, "version": 3}, condition=version_is(2))
    with pytest.raises(ConditionFailed):
        store.put({"pk": pk, "sk": "a"}, condition=NOT_EXISTS)


# -- batch_get
def test_batch_get_keeps_the_order_asked_and_skips_missing(store: ItemStore) -> None:
    pk = rid()
    for sk in ("a", "b", "c"):
        store.put({"pk": pk, "sk": sk})
    keys = [(pk, "c"), (rid(), "x"), (pk, "a"), (pk, "missing"), (pk, "b")]
    assert [it["sk"] for it in store.batch_get(keys)] == ["c", "a", "b"]
    assert store.batch_get([]) == []
    assert [it["sk"] for it in store.batch_get([(pk, "a"), (pk, "a")])] == ["a", "a"]


def test_batch_get_beyond_one_request(store: ItemStore) -> None:
    pk = rid()
    sks = [f"{i:03d}" for i in range(130)]
    for sk in sks:
        store.put({"pk": pk, "sk": sk})
    asked = [(pk, sk) for sk in reversed(sks)]
    asked.insert(50, (pk, "nope"))
    assert [it["sk"] for it in store.batch_get(asked)] == list(reversed(sks))


# -- counters
def test_counters_count_calls_by_kind(store: ItemStore) -> None:
    pk = rid()
    before = store.counters()

    def grew(kind: str) -> bool:
        return store.counters().get(kind, 0) > before.get(kind, 0)

    store.put({"pk": pk, "sk": "a"})
    assert grew("put")
    store.get(pk, "a")
    assert grew("get")
    store.batch_get([(pk, "a")])
    assert grew("batch_get")
    store.query(pk)
    assert grew("query")
    store.transact([Put({"pk": pk, "sk": "b"})])
    assert grew("transact")
    store.delete(pk, "a")
    assert grew("delete")
    now = store.counters()
    store.get(pk, "b")
    assert store.counters()["get"] == now["get"] + 1
