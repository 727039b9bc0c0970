"""Prefixed, sortable ids."""

from __future__ import annotations

import pytest

from bbws.core import ids
from bbws.core.ids import PREFIXES, is_valid, new_id

CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


@pytest.fixture(autouse=True)
def fresh_sequence(monkeypatch: pytest.MonkeyPatch) -> None:
    """`new_id` stays monotonic within a process; ids made here with made-up times must not move it for others."""
    monkeypatch.setattr(ids, "_last", [0, 0])


def time_part(value: str) -> int:
    decoded = 0
    for ch in value.split("_", 1)[1][:10]:
        decoded = decoded * 32 + CROCKFORD.index(ch)
    return decoded


@pytest.mark.parametrize("prefix", sorted(PREFIXES.values()))
def test_prefix_and_shape(prefix: str) -> None:
    value = new_id(prefix)
    head, body = value.split("_", 1)
    assert head == prefix and len(body) == 26 and set(body) <= set(CROCKFORD)
    assert is_valid(value, prefix)


def test_ids_sort_by_time() -> None:
    times = [1, 999, 1_000, 1_700_000_000_000, 1_700_000_000_001, 2**48 - 1]
    made = [new_id("ten", now_ms=ms) for ms in times]
    assert made == sorted(made)
    assert [time_part(i) for i in made] == times


def test_ids_made_in_one_millisecond_still_sort_in_order() -> None:
    same = [new_id("ten", now_ms=5_000) for _ in range(200)]
    assert same == sorted(same) and len(set(same)) == 200
    assert all(s < new_id("ten", now_ms=5_001) for s in same)


def test_a_clock_going_back_never_makes_an_earlier_id() -> None:
    first = new_id("op", now_ms=10_000)
    assert new_id("op", now_ms=9_000) > first


def test_the_time_part_encodes_the_milliseconds() -> None:
    ms = 1_767_225_600_123
    assert time_part(new_id("op", now_ms=ms)) == ms


def test_ids_are_unique() -> None:
    assert len({new_id("ten", now_ms=1) for _ in range(2_000)}) == 2_000


@pytest.mark.parametrize(
    ("value", "prefix"),
    [
        ("div_01jd3m8x2v9k4q7r5t6w8y0z1a", "ten"),  # wrong prefix
        ("ten01jd3m8x2v9k4q7r5t6w8y0z1a", "ten"),  # no separator
        ("ten_01jd3m8x2v9k4q7r5t6w8y0z1", "ten"),  # 25 chars
        ("ten_01jd3m8x2v9k4q7r5t6w8y0z1ab", "ten"),  # 27 chars
        ("ten_01JD3M8X2V9K4Q7R5T6W8Y0Z1A", "ten"),  # upper case
        ("ten_01jd3m8x2v9k4q7r5t6w8y0z1i", "ten"),  # i, l, o, u are not Crockford digits
        ("ten_01jd3m8x2v9k4q7r5t6w8y0z1l", "ten"),
        ("ten_01jd3m8x2v9k4q7r5t6w8y0z1o", "ten"),
        ("ten_01jd3m8x2v9k4q7r5t6w8y0z1u", "ten"),
        ("ten_01jd3m8x2v9k4q7r5t6w8y0z1-", "ten"),
        ("team_01jd3m8x2v9k4q7r5t6w8y0z1a", "ten"),
        ("", "ten"),
        ("ten_", "ten"),
        ("ten_01jd3m8x2v9k4q7r5t6w8y0z1a\n", "ten"),
    ],
)
def test_invalid_ids(value: str, prefix: str) -> None:
    assert not is_valid(value, prefix)


def test_valid_literal() -> None:
    assert is_valid("ten_01jd3m8x2v9k4q7r5t6w8y0z1a", "ten")
    assert is_valid("team_01jd3m8x2v9k4q7r5t6w8y0z1a", "team")
