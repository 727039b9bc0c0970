"""A tenant's event log (`TENANT#{t}` / `EVENT#{time}#{eventId}`, kept 7 days) read as a stream: where to start
(after `Last-Event-ID`, from `since`, or from now) and what follows, filtered by type patterns."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from bbws.core.clock import iso
from bbws.core.errors import ValidationFailed
from bbws.core.events import matches_filter
from bbws.core.ids import is_valid
from bbws.core.keys import EVENT_PREFIX, tenant_pk
from bbws.core.store import Item, ItemStore, Key
from bbws.jobs.sse import Fetch, frame

BATCH = 100
TYPE_PATTERN = re.compile(r"^(\*|bbws(\.[a-z][a-z0-9_-]*)+(\.\*)?)$")
_TYPE = r"(?:\*|bbws(?:\.[a-z][a-z0-9_-]*)+(?:\.\*)?)"
# One `types` value: patterns separated by commas (blanks and empty items are skipped).
TYPE_LIST_PATTERN = rf"^[\s,]*(?:{_TYPE}(?:\s*,[\s,]*{_TYPE})*)?[\s,]*$"
# An event id whose time a calendar holds (a first digit over 6 reads past the year 9999).
LAST_EVENT_ID_PATTERN = r"^evt_[0-6][0-9a-hjkmnp-tv-z]{25}$"
_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
# How far around the time in an event id to look for the event itself (ids and log times come from one clock
# read apart by a few milliseconds).
_LOCATE_WINDOW = timedelta(seconds=60)


def parse_types(raw: list[str] | None) -> list[str]:
    """`types=bbws.tenant.*,bbws.site.created` (or repeated): the webhook filter patterns; ["*"] by default."""
    patterns = [p.strip() for value in raw or () for p in value.split(",") if p.strip()]
    bad = [p for p in patterns if not TYPE_PATTERN.fullmatch(p)]
    if bad:
        raise ValidationFailed(
            f"types: {', '.join(bad)} is not an event type pattern (use *, bbws.tenant.parked or bbws.tenant.*).",
            errors=[{"field": "types", "message": f"not an event type pattern: {p}"} for p in bad],
        )
    return patterns or ["*"]


def _id_time(event_id: str) -> datetime:
    """The millisecond time at the head of a sortable id."""
    ms = 0
    for char in event_id.partition("_")[2][:10]:
        ms = ms * 32 + _CROCKFORD.index(char)
    return datetime.fromtimestamp(ms / 1000, UTC)


def _bad_position(field: str, detail: str) -> ValidationFailed:
    return ValidationFailed(detail, errors=[{"field": field, "message": detail}])


def _key(tenant_id: str, sk: str) -> Key:
    return {"pk": tenant_pk(tenant_id), "sk": sk}


def _locate(store: ItemStore, tenant_id: str, event_id: str) -> Key:
    """The log position of an event (or, when it has expired, where it would be)."""
    at = _id_time(event_id)
    low, high = EVENT_PREFIX + iso(at - _LOCATE_WINDOW), EVENT_PREFIX + iso(at + _LOCATE_WINDOW)
    after: Key | None = _key(tenant_id, low)
    while after is not None:
        page = store.query(tenant_pk(tenant_id), sk_prefix=EVENT_PREFIX, start_after=after, limit=BATCH)
        for item in page.items:
            if item["sk"].endswith("#" + event_id):
                return _key(tenant_id, item["sk"])
            if item["sk"] > high:
                return _key(tenant_id, f"{EVENT_PREFIX}{iso(at)}#{event_id}")
        after = page.last_key
    return _key(tenant_id, f"{EVENT_PREFIX}{iso(at)}#{event_id}")


def start_key(
    store: ItemStore, tenant_id: str, *, last_event_id: str | None, since: datetime | None
) -> tuple[Key | None, bool]:
    """Where to read from, and whether the caller named a position: after `Last-Event-ID` (a reconnect),
    else from `since`, else from the end of the log as it is now."""
    if last_event_id:
        try:
            if not is_valid(last_event_id, "evt"):
                raise ValueError
            return _locate(store, tenant_id, last_event_id), True
        except (ValueError, OverflowError) as exc:  # not an id, or one whose time no calendar holds
            raise _bad_position("Last-Event-ID", "Last-Event-ID is not an event id (evt_...).") from exc
    if since is not None:
        try:
            moment = iso(since if since.tzinfo else since.replace(tzinfo=UTC))
        except (ValueError, OverflowError) as exc:
            raise _bad_position("since", "since is out of range.") from exc
        return _key(tenant_id, EVENT_PREFIX + moment), True
    newest = store.query(tenant_pk(tenant_id), sk_prefix=EVENT_PREFIX, limit=1, descending=True)
    return (_key(tenant_id, newest.items[0]["sk"]) if newest.items else None), False


def _read(store: ItemStore, tenant_id: str, after: Key | None) -> tuple[list[Item], Key | None]:
    """The next batch of log items after a position, and the position after them."""
    page = store.query(tenant_pk(tenant_id), sk_prefix=EVENT_PREFIX, start_after=after, limit=BATCH)
    return page.items, (_key(tenant_id, page.items[-1]["sk"]) if page.items else after)


def _envelope(item: Item) -> dict[str, Any]:
    return dict(item["event"])


def batch(
    store: ItemStore, tenant_id: str, *, after: Key | None, positioned: bool, types: list[str]
) -> list[dict[str, Any]]:
    """The JSON answer for clients that do not stream: the next events after a position, or the latest ones."""
    if positioned:
        items, _ = _read(store, tenant_id, after)
    else:
        newest = store.query(tenant_pk(tenant_id), sk_prefix=EVENT_PREFIX, limit=BATCH, descending=True)
        items = list(reversed(newest.items))
    return [e for e in map(_envelope, items) if matches_filter(e["type"], types)]


def tenant_fetch(store: ItemStore, tenant_id: str, *, after: Key | None, types: list[str]) -> Fetch:
    """Each new log item as `id: <eventId>`, `event: <type>`, `data: <envelope>`; the stream never ends
    by itself (the stream loop bounds it)."""
    position = {"after": after}

    def fetch() -> tuple[list[bytes], bool]:
        items, position["after"] = _read(store, tenant_id, position["after"])
        envelopes = (_envelope(item) for item in items)
        return [
            frame(e, event=e["type"], event_id=e["id"]) for e in envelopes if matches_filter(e["type"], types)
        ], False

    return fetch
