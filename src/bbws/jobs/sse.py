"""Server-sent events: the wire format and a bounded polling loop that turns store reads into a stream.

Streams poll the store (it is the source of truth in both shapes, SQLite and DynamoDB), send a comment
every 15 s so proxies keep the connection, and end after a maximum duration or when the caller's token
expires; clients reconnect with `Last-Event-ID` and carry on where they were. Each stream holds a slot of its
token and of its tenant while it is open (`StreamSlots`), so one caller cannot hold the server's connections.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import anyio
from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from bbws.core.auth import Principal
from bbws.core.ratelimit import StreamSlots
from bbws.core.store import ItemStore
from bbws.jobs import operations as ops
from bbws.jobs.views import operation_public

EVENT_STREAM = "text/event-stream"
KEEPALIVE = b": keepalive\n\n"
RETRY_MS = 2000

# What a stream route documents for its 200: the stream, or (for clients that did not ask for it) JSON.
STREAM_RESPONSE_DOC = {EVENT_STREAM: {"schema": {"type": "string", "description": "Server-sent events."}}}
# ...and for its 429: the rate limits, or the cap on streams open at once.
STREAM_LIMIT_DOC = {
    "description": "TOO_MANY_STREAMS: the token or the tenant already has as many event streams open as allowed "
    "(close one), or RATE_LIMITED; see Retry-After",
    "headers": {
        name: {"$ref": f"#/components/headers/{name}"}
        for name in ("Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
    },
}


@dataclass(frozen=True)
class StreamLimits:
    poll_seconds: float = 0.5
    keepalive_seconds: float = 15.0
    max_seconds: float = 600.0


# Read once per stream from here, so tests (and operators) can shorten them.
LIMITS = StreamLimits()

Fetch = Callable[[], tuple[list[bytes], bool]]


def frame(data: Any, *, event: str | None = None, event_id: str | None = None) -> bytes:
    """One event: `id:` and `event:` lines, then the JSON on one `data:` line, then a blank line."""
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    if event is not None:
        lines.append(f"event: {event}")
    lines.append("data: " + json.dumps(data, separators=(",", ":"), ensure_ascii=False))
    return ("\n".join(lines) + "\n\n").encode()


def wants_stream(request: Request) -> bool:
    """Streams are for clients that ask for them (EventSource always does); others get one JSON answer."""
    return EVENT_STREAM in request.headers.get("accept", "")


async def polled(fetch: Fetch, limits: StreamLimits, *, until: float | None = None) -> AsyncIterator[bytes]:
    """Call `fetch` (in a worker thread: store reads block) until it says done, time runs out or the monotonic
    time `until` (the token's expiry) passes; send a keepalive comment when nothing else went out for a while."""
    started = last_sent = time.monotonic()
    yield f"retry: {RETRY_MS}\n\n".encode()
    while True:
        chunks, done = await anyio.to_thread.run_sync(fetch)
        for chunk in chunks:
            yield chunk
        now = time.monotonic()
        if chunks:
            last_sent = now
        if done or now - started >= limits.max_seconds or (until is not None and now >= until):
            return
        if now - last_sent >= limits.keepalive_seconds:
            yield KEEPALIVE
            last_sent = now
        await anyio.sleep(limits.poll_seconds)


class HeldStream(StreamingResponse):
    """A stream that gives its slots back however it ends: finished, timed out, or the client went away."""

    def __init__(self, content: AsyncIterator[bytes], *, release: Callable[[], None]) -> None:
        super().__init__(
            content, media_type=EVENT_STREAM, headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()


def stream_response(
    fetch: Fetch, *, slots: StreamSlots, principal: Principal, tenant_id: str, limits: StreamLimits | None = None
) -> StreamingResponse:
    """The stream for this caller, holding a slot of its token and of `tenant_id` (429 past either cap), and
    ending at the latest when the caller's token expires."""
    until = None
    if principal.expires_at is not None:
        until = time.monotonic() + max(0.0, principal.expires_at - time.time())
    release = slots.acquire(principal.token_id, tenant_id)
    return HeldStream(polled(fetch, limits or LIMITS, until=until), release=release)


def operation_fetch(store: ItemStore, operation_id: str, *, last_version: str | None = None) -> Fetch:
    """An `operation` event each time the operation's version changes; after a finished status, an `end`
    event (so that browsers close instead of reconnecting) and the stream stops."""
    seen = {"version": last_version}

    def fetch() -> tuple[list[bytes], bool]:
        item = ops.get_operation(store, operation_id)
        if item is None:  # it cannot vanish while we watch, except by a retention purge
            return [frame({"operationId": operation_id, "status": None}, event="end")], True
        chunks = []
        version = str(item["version"])
        if version != seen["version"]:
            seen["version"] = version
            chunks.append(frame(operation_public(item), event="operation", event_id=version))
        finished = item["status"] in ops.FINISHED
        if finished:
            chunks.append(frame({"operationId": operation_id, "status": item["status"]}, event="end"))
        return chunks, finished

    return fetch
