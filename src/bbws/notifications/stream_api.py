"""The tenant's event stream: its domain events as server-sent events (or, for plain clients, a JSON batch)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from bbws.core.deps import Authz, Ctr
from bbws.core.ids import TENANT_ID_PATTERN
from bbws.core.router import api_router
from bbws.events import stream
from bbws.jobs.sse import STREAM_LIMIT_DOC, STREAM_RESPONSE_DOC, stream_response, wants_stream
from bbws.tenants.service import get_tenant

router = api_router("Operations")


class EventEnvelope(BaseModel):
    """A domain event, CloudEvents-shaped."""

    id: str = Field(examples=["evt_01jd3m8x2v9k4q7r5t6w8y0z1a"])
    type: str = Field(examples=["bbws.tenant.parked"])
    source: str = Field(examples=["bbws.tenant-management"])
    time: str
    tenantId: str
    subject: str
    data: dict[str, Any]
    specversion: str = "1.0"


class EventBatch(BaseModel):
    items: list[EventEnvelope]
    lastEventId: str | None = Field(None, description="Send it as `Last-Event-ID` to read on from here.")


@router.get(
    "/tenants/{tenantId}/events/stream",
    response_model=EventBatch,
    summary="Stream the tenant's events (server-sent events)",
    responses={
        200: {
            "description": "The stream (or, without `Accept: text/event-stream`, a batch of events)",
            "content": STREAM_RESPONSE_DOC,
        },
        429: STREAM_LIMIT_DOC,
    },
)
def tenant_events(
    tenantId: Annotated[str, Path(pattern=TENANT_ID_PATTERN)],
    request: Request,
    ctr: Ctr,
    authz: Authz,
    since: Annotated[datetime | None, Query(description="Start with the events at or after this time.")] = None,
    types: Annotated[
        list[str] | None,
        Query(
            max_length=20,
            json_schema_extra={"items": {"type": "string", "pattern": stream.TYPE_LIST_PATTERN}},
            description="Event type patterns, comma-separated or repeated: `*`, "
            "`bbws.tenant.parked`, `bbws.tenant.*` (as webhook filters).",
        ),
    ] = None,
    lastEventId: Annotated[
        str | None,
        Header(alias="Last-Event-ID", max_length=64, pattern=stream.LAST_EVENT_ID_PATTERN,
               description="Read on after this event (EventSource sends it)."),
    ] = None,
) -> Response:
    """With `Accept: text/event-stream`: every domain event of the tenant from now on (or after `Last-Event-ID`,
    or from `since`) as `id: <eventId>`, `event: <type>`, `data: <envelope>`. Events are kept for 7 days.
    A comment keeps the connection alive every 15 s; a stream lasts at most 10 minutes, and ends when the token
    expires (reconnect with `Last-Event-ID` to carry on). By default a token may hold 10 streams open at once
    and a tenant 50; past that, 429 `TOO_MANY_STREAMS`. Other clients get one batch: the next events after
    the position, or the latest ones."""
    authz.require("events:read", tenant_id=tenantId)
    patterns = stream.parse_types(types)
    get_tenant(store=ctr.store, tenant_id=tenantId)
    after, positioned = stream.start_key(ctr.store, tenantId, last_event_id=lastEventId, since=since)
    if not wants_stream(request):
        events = stream.batch(ctr.store, tenantId, after=after, positioned=positioned, types=patterns)
        return JSONResponse({"items": events, "lastEventId": events[-1]["id"] if events else lastEventId})
    return stream_response(
        stream.tenant_fetch(ctr.store, tenantId, after=after, types=patterns),
        slots=ctr.streams,
        principal=authz.principal,
        tenant_id=tenantId,
    )
