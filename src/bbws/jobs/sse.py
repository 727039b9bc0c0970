"""Server-sent events: the wire format and a bounded polling loop that turns store reads into a stream.

Streams poll the store (it is the source of truth in both shapes, SQLite and DynamoDB), send a comment
every 15 s so proxies keep the connection, and end after a maximum duration; clients reconnect with
`Last-Event-ID` and carry on where they were.
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

from bbws.jobs import operations as ops
from bbws.store.port import ItemStore

EVENT_STREAM = "text/event-stream"
KEEPALIVE = b": keepalive\n\n"
RETRY_MS = 2000

# What a stream route documents for its 200: the stream, or (for clients that did not ask for it) JSON.
STREAM_RESPONSE_DOC = {EVENT_STREAM: {"schema": {"type": "string", "description": "Server-sent events."}}}


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


async def polled(fetch: Fetch, limits: StreamLimits) -> AsyncIterator[bytes]:
    """Call `fetch` (in a worker thread: store reads block) until it says done or time runs out; send a
    keepalive comment when nothing else went out for a while."""
    started = last_sent = time.monotonic()
    yield f"retry: {RETRY_MS}\n\n".encode()
    while True:
        chunks, done = await anyio.to_thread.run_sync(fetch)
        for chunk in chunks:
            yield chunk
        now = time.monotonic()
        if chunks:
            last_sent = now
        if done or now - started >= limits.max_seconds:
            return
        if now - last_sent >= limits.keepalive_seconds:
            yield KEEPALIVE
            last_sent = now
        await anyio.sleep(limits.poll_seconds)


def stream_response(fetch: Fetch, limits: StreamLimits | None = None) -> StreamingResponse:
    return StreamingResponse(
        polled(fetch, limits or LIMITS),
        media_type=EVENT_STREAM,
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


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
            chunks.append(frame(ops.operation_public(item), event="operation", event_id=version))
        finished = item["status"] in ops.FINISHED
        if finished:
            chunks.append(frame({"operationId": operation_id, "status": item["status"]}, event="end"))
        return chunks, finished

    return fetch
