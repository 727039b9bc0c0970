"""Cursors: opaque, tamper-evident, bound to their list and filters, and short-lived."""

from __future__ import annotations

import base64
import json
import time

import pytest

from bbws.core import cursors
from bbws.core.cursors import CursorCodec, list_scope
from bbws.core.errors import ValidationFailed
from bbws.core.pagination import with_query

KEY = {"pk": "TENANT#ten_1", "sk": "AUDIT#2026-01-01T00:00:00.000Z#aud_1", "GSI1PK": "TENANTS"}
PATH = "/v1.0/tenants"


def codec(secret: bytes = b"s3cret", **kw: int) -> CursorCodec:
    return CursorCodec(secret, **kw)


def refused(c: CursorCodec, cursor: str, path: str = PATH, filters: dict[str, str] | None = None) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        c.start_of(cursor, path, filters or {})
    error = caught.value
    assert error.status == 400 and error.code == "INVALID_PAGINATION_TOKEN"
    assert error.errors and error.errors[0]["field"] == "startAt"
    return error


def test_round_trip() -> None:
    c = codec()
    cursor = c.encode(KEY, list_scope(PATH, {"status": "ACTIVE"}))
    assert c.start_of(cursor, PATH, {"status": "ACTIVE"}) == KEY
    assert "TENANT#" not in cursor and "ten_1" not in cursor  # opaque: not the key in plain sight
    assert c.start_of(None, PATH, {}) is None and c.start_of("", PATH, {}) is None


def test_filters_bind_in_any_order_and_none_means_absent() -> None:
    c = codec()
    cursor = c.encode(KEY, list_scope(PATH, {"status": "ACTIVE", "tier": "STANDARD"}))
    assert c.start_of(cursor, PATH, {"tier": "STANDARD", "status": "ACTIVE", "other": None}) == KEY  # type: ignore[dict-item]


def test_tampered_payload_is_refused() -> None:
    c = codec()
    cursor = c.encode(KEY, list_scope(PATH, {}))
    _, signature = cursor.split(".")
    forged = {"k": {**KEY, "pk": "TENANT#ten_other"}, "t": int(time.time())}
    payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    refused(c, f"{payload}.{signature}")


def test_tampered_signature_is_refused() -> None:
    c = codec()
    cursor = c.encode(KEY, list_scope(PATH, {}))
    flipped = cursor[:-1] + ("A" if cursor[-1] != "A" else "B")
    refused(c, flipped)
    refused(c, cursor.split(".")[0] + ".")
    refused(c, cursor.split(".")[0])


def test_a_cursor_from_another_list_or_filter_is_refused() -> None:
    c = codec()
    cursor = c.encode(KEY, list_scope(PATH, {"status": "ACTIVE"}))
    error = refused(c, cursor, PATH, {"status": "PARKED"})
    assert "filters" in error.detail
    refused(c, cursor, PATH, {})
    refused(c, cursor, "/v1.0/tenants/ten_1/audit", {"status": "ACTIVE"})


def test_a_cursor_signed_with_another_secret_is_refused() -> None:
    cursor = codec(b"one").encode(KEY, list_scope(PATH, {}))
    refused(codec(b"two"), cursor)


def test_an_old_cursor_has_expired(monkeypatch: pytest.MonkeyPatch) -> None:
    c = codec(max_age=60)
    cursor = c.encode(KEY, list_scope(PATH, {}))
    assert c.start_of(cursor, PATH, {}) == KEY
    issued = time.time()
    monkeypatch.setattr(cursors.time, "time", lambda: issued + 61)
    error = refused(c, cursor)
    assert "expired" in error.detail
    monkeypatch.setattr(cursors.time, "time", lambda: issued + 30)
    assert c.start_of(cursor, PATH, {}) == KEY


@pytest.mark.parametrize(
    "garbage",
    [
        "garbage",
        ".",
        "..",
        "a.b",
        "a.b.c",
        "!!!.???",
        "%%%",
        "\u00e9.\u00e9",
        "abc.\u00e9\u00e9",
        "\x00.\x00",
        "eyJrIjp7fX0." + "A" * 24,
        " " * 10,
        "a" * 2048,
    ],
)
def test_garbage_is_a_400_never_a_crash(garbage: str) -> None:
    refused(codec(), garbage)


def test_with_query_drops_none_and_keeps_order() -> None:
    assert with_query(PATH, {}) == PATH
    assert with_query(PATH, {"status": None, "pageSize": 5, "startAt": "x.y"}) == PATH + "?pageSize=5&startAt=x.y"
