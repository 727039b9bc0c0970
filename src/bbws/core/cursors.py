"""Signed list cursors: a store key sealed to the list (path and filters) that issued it, with an age limit."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from bbws.core.errors import ValidationFailed
from bbws.core.store import Key

CURSOR_MAX_AGE_SECONDS = 86_400


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _bad_cursor(detail: str) -> ValidationFailed:
    return ValidationFailed(
        detail,
        code="INVALID_PAGINATION_TOKEN",
        errors=[{"field": "startAt", "message": detail}],
    )


class CursorCodec:
    """Encodes a store key as `payload.signature`; the signature covers the key and the list's scope."""

    def __init__(self, secret: bytes, *, max_age: int = CURSOR_MAX_AGE_SECONDS) -> None:
        self._secret = secret
        self._max_age = max_age

    def _sign(self, payload: str, scope: str) -> str:
        mac = hmac.new(self._secret, f"{scope}\n{payload}".encode(), hashlib.sha256).digest()
        return _b64(mac[:18])

    def encode(self, key: Key, scope: str) -> str:
        payload = _b64(json.dumps({"k": key, "t": int(time.time())}, separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload, scope)}"

    def decode(self, cursor: str, scope: str) -> Key:
        payload, _, signature = cursor.partition(".")
        # Compared as bytes: compare_digest refuses non-ASCII str, and a cursor is whatever the client sent.
        expected = self._sign(payload, scope).encode()
        if not payload or not signature or not hmac.compare_digest(signature.encode(), expected):
            raise _bad_cursor("startAt is not a cursor this list issued (or its filters changed).")
        data = json.loads(_unb64(payload))
        if time.time() - data["t"] > self._max_age:
            raise _bad_cursor("startAt has expired; start again from the first page.")
        key: Key = data["k"]
        return key

    def start_of(self, cursor: str | None, path: str, filters: Mapping[str, Any]) -> Key | None:
        """The store key to continue after, for a list at `path` with `filters` (None on the first page)."""
        return self.decode(cursor, list_scope(path, filters)) if cursor else None


def list_scope(path: str, filters: Mapping[str, Any]) -> str:
    """What a cursor is bound to: the list's path and the filters in force."""
    return path + "?" + urlencode(sorted((k, str(v)) for k, v in filters.items() if v is not None))
