"""The Python client's `watch`: server-sent events when the server streams, polling when something in between
does not, and a reconnect with `Last-Event-ID` when a stream ends early."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from bbws.client.api import BbwsClient, BbwsError, OperationTimeout, parse_sse

OP = "op_" + "1" * 26


def op(status: str, progress: int, version: int) -> dict[str, Any]:
    return {"operationId": OP, "operationType": "TENANT_PARK", "status": status, "progress": progress, "v": version}


def sse(*events: tuple[str, Any, str | None]) -> bytes:
    chunks = ["retry: 2000\n\n", ": keepalive\n\n"]
    for name, data, event_id in events:
        chunks.append((f"id: {event_id}\n" if event_id else "") + f"event: {name}\ndata: {json.dumps(data)}\n\n")
    return "".join(chunks).encode()


def client(handler: Any) -> BbwsClient:
    return BbwsClient("http://bbws.test", "token", transport=httpx.MockTransport(handler))


def test_parse_sse_skips_comments_and_joins_data_lines() -> None:
    lines = ["retry: 10", ": keepalive", "", "id: 7", "event: x", "data: a", "data: b", "", "data: c", ""]
    events = list(parse_sse(lines))
    assert [(e.event, e.data, e.id) for e in events] == [("x", "a\nb", "7"), ("message", "c", "7")]


def test_watch_reads_the_stream_and_reconnects_after_the_last_version() -> None:
    asked: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.headers.get("last-event-id"))
        assert request.headers["accept"] == "text/event-stream"
        if len(asked) == 1:  # the server's time for this stream ran out before the operation finished
            body = sse(("operation", op("PENDING", 0, 1), "1"), ("operation", op("IN_PROGRESS", 50, 2), "2"))
        else:
            body = sse(("operation", op("COMPLETED", 100, 3), "3"), ("end", {"status": "COMPLETED"}, None))
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    seen = list(client(handler).watch(OP, timeout=30))
    assert [o["status"] for o in seen] == ["PENDING", "IN_PROGRESS", "COMPLETED"]
    assert asked == [None, "2"]


def test_watch_polls_when_the_answer_is_not_a_stream() -> None:
    states = iter([op("PENDING", 0, 1), op("PENDING", 0, 1), op("FAILED", 10, 2)])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/events"):
            return httpx.Response(200, json=op("PENDING", 0, 1))  # a proxy that buffers: plain JSON
        return httpx.Response(200, json=next(states))

    seen = list(client(handler).watch(OP, poll_seconds=0))
    assert [o["status"] for o in seen] == ["PENDING", "FAILED"]


def test_watch_gives_up_at_its_timeout_and_raises_problems() -> None:
    def pending(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/events"):
            return httpx.Response(200, json={})
        return httpx.Response(200, json=op("PENDING", 0, 1))

    with pytest.raises(OperationTimeout):
        list(client(pending).watch(OP, timeout=0, poll_seconds=0))

    def missing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"code": "OPERATION_NOT_FOUND", "detail": "Operation was not found."})

    with pytest.raises(BbwsError) as caught:
        client(missing).wait(OP)
    assert caught.value.status == 404 and caught.value.code == "OPERATION_NOT_FOUND"
