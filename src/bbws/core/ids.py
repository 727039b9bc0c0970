"""Prefixed, sortable identifiers (`ten_01J...`): 48-bit millisecond time + 80 random bits, Crockford base32."""

from __future__ import annotations

import base64
import os
import re
import threading
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
    "instance": "ins",
    "site": "site",
    "backup": "bak",
    "promotion": "prm",
    "template": "tpl",
    "plugin": "plg",
    "health": "hlt",
}


# A tenant id as a path parameter pattern (every tenant-scoped router validates it the same way).
TENANT_ID_PATTERN = r"^ten_[0-9a-z]{26}$"
SITE_ID_PATTERN = r"^site_[0-9a-z]{26}$"

_FROM_RFC4648 = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _ALPHABET.encode())


def _encode(value: int, length: int) -> str:
    """`value` as `length` Crockford base32 digits (via the C base32 codec: ids are made on every request)."""
    width = (length * 5 + 7) // 8
    digits = base64.b32encode((value << (width * 8 - length * 5)).to_bytes(width, "big"))
    return digits[:length].translate(_FROM_RFC4648).decode()


_lock = threading.Lock()
_last = [0, 0]  # the last (millisecond, random part) handed out, to stay monotonic within a millisecond


def new_id(prefix: str, *, now_ms: int | None = None) -> str:
    """Return `{prefix}_{26 chars}`; within a process, an id made later sorts after every id made before it."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    with _lock:
        if ms <= _last[0]:
            ms, rand = _last[0], (_last[1] + 1) % (1 << 80)
        else:
            rand = int.from_bytes(os.urandom(10), "big") >> 1  # leave headroom for increments
        _last[0], _last[1] = ms, rand
    return f"{prefix}_{_encode(ms, 10)}{_encode(rand, 16)}"


def is_valid(value: str, prefix: str) -> bool:
    """True when `value` is a well-formed id with this prefix."""
    head, sep, body = value.partition("_")
    return sep == "_" and head == prefix and bool(_BODY.fullmatch(body))
