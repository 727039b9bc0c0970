"""Prefixed, sortable identifiers (`ten_01J...`): 48-bit millisecond time + 80 random bits, Crockford base32."""

from __future__ import annotations

import os
import re
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_BODY = re.compile(r"^[0-9a-hjkmnp-tv-z]{26}$")

PREFIXES = {
    "tenant": "ten",
    "division": "div",
    "group": "grp",
    "team": "team",
    "operation": "op",
    "invitation": "inv",
    "audit": "aud",
    "user": "usr",
    "request": "req",
}


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_id(prefix: str, *, now_ms: int | None = None) -> str:
    """Return `{prefix}_{26 chars}`; ids made later sort after ids made earlier (to the millisecond)."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    rand = int.from_bytes(os.urandom(10), "big")
    return f"{prefix}_{_encode(ms, 10)}{_encode(rand, 16)}"


def is_valid(value: str, prefix: str) -> bool:
    """True when `value` is a well-formed id with this prefix."""
    head, sep, body = value.partition("_")
    return sep == "_" and head == prefix and bool(_BODY.match(body))
