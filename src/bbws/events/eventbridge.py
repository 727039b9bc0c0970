"""EventBridge publisher: hands domain events to the bus `bbws-events-{env}` with their BBWS detail-types."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bbws.core.boto import LazyClient
from bbws.core.events import Event

log = logging.getLogger("bbws.eventbridge")

BATCH = 10  # PutEvents takes at most 10 entries
ATTEMPTS = 4


class PublishFailed(Exception):
    """EventBridge kept refusing some entries; the relay keeps their outbox items and tries again later."""


def detail_of(event: Event) -> dict[str, Any]:
    """The BBWS payload as EventBridge rules see it: the event's data plus its id, tenant and type."""
    return {**event.data, "eventId": event.id, "tenantId": event.tenant_id, "type": event.type}


def entry_of(event: Event, bus_name: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "Source": event.source,
        "DetailType": event.detail_type,
        "Detail": json.dumps(detail_of(event)),
        "EventBusName": bus_name,
    }
    # Without a parsable time EventBridge stamps the time it received the event.
    with contextlib.suppress(ValueError):
        entry["Time"] = datetime.fromisoformat(event.time.replace("Z", "+00:00"))
    return entry


class EventBridgePublisher:
    """A relay publisher (a callable taking events). Entries EventBridge refuses are sent again with
    backoff; when some still fail, it raises so the outbox item stays and the relay retries it."""

    def __init__(
        self,
        client: Any | None,
        bus_name: str,
        *,
        region: str = "af-south-1",
        endpoint_url: str | None = None,
        attempts: int = ATTEMPTS,
        backoff_seconds: float = 0.1,
    ) -> None:
        self.bus_name, self.region, self.endpoint_url = bus_name, region, endpoint_url
        self.attempts, self.backoff_seconds = attempts, backoff_seconds
        self._clients = LazyClient("events", region=region, endpoint_url=endpoint_url, client=client)

    @property
    def _client(self) -> Any:
        return self._clients.get()

    def __call__(self, events: Sequence[Event]) -> None:
        for start in range(0, len(events), BATCH):
            self._put([entry_of(e, self.bus_name) for e in events[start : start + BATCH]])

    def _put(self, entries: list[dict[str, Any]]) -> None:
        errors: list[str] = []
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(self.backoff_seconds * 2 ** (attempt - 1))
            response = self._client.put_events(Entries=entries)
            if not response.get("FailedEntryCount"):
                return
            # Results come back in request order; an entry with an ErrorCode was not accepted.
            results = response.get("Entries", [])
            failed = [(e, r) for e, r in zip(entries, results, strict=False) if r.get("ErrorCode")]
            entries = [entry for entry, _ in failed]
            errors = [f"{r.get('ErrorCode')}: {r.get('ErrorMessage', '')}" for _, r in failed]
            log.warning("EventBridge refused entries; retrying", extra={"count": len(entries), "errors": errors[:3]})
            if not entries:
                return
        raise PublishFailed(f"EventBridge refused {len(entries)} event(s) after {self.attempts} attempts: {errors[:3]}")
