"""Event streams are capped per token and per tenant (429 past the cap, a slot frees when a stream closes), and
a stream ends when the token that opened it expires."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from bbws.jobs import sse
from tests.integration.operations.conftest import LiveServer
from tests.support.api import ApiHarness

STREAM = {"Accept": "text/event-stream"}
TIMEOUT = httpx.Timeout(30.0)
REASON = {"reason": "Stream limit test: parked"}


@pytest.fixture
def capped(tmp_path: Path, fast_streams: sse.StreamLimits) -> Iterator[LiveServer]:
    """A served app that allows 2 open streams per token and 3 per tenant."""
    api = ApiHarness(tmp_path / "capped", run_worker=False, sse_streams_per_token=2, sse_streams_per_tenant=3)
    with LiveServer(api) as server:
        yield server


def stream_url(server: LiveServer, tenant_id: str) -> str:
    return f"{server.url}/v1.0/tenants/{tenant_id}/events/stream"


@contextlib.contextmanager
def opened(url: str, headers: dict[str, str]) -> Iterator[httpx.Response]:
    """A stream that is open on the server (its first line has arrived) until the block ends."""
    with httpx.stream("GET", url, headers={**STREAM, **headers}, timeout=TIMEOUT) as response:
        assert response.status_code == 200, response.read()
        lines = response.iter_lines()  # kept: dropping a half-read iterator closes the connection
        assert next(lines) == "retry: 2000"
        yield response


def refused(url: str, headers: dict[str, str]) -> httpx.Response:
    response = httpx.get(url, headers={**STREAM, **headers}, timeout=TIMEOUT)
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "TOO_MANY_STREAMS"
    assert int(response.headers["Retry-After"]) > 0
    return response


def opens_again(url: str, headers: dict[str, str]) -> bool:
    """Whether a stream opens within a few tries (the server notices a closed connection a moment later)."""
    for _ in range(100):
        with httpx.stream("GET", url, headers={**STREAM, **headers}, timeout=TIMEOUT) as response:
            if response.status_code == 200:
                return True
        time.sleep(0.05)
    return False


def test_a_token_past_its_cap_gets_429_and_closing_a_stream_frees_a_slot(capped: LiveServer) -> None:
    api = capped.api
    tenant_id = api.create_tenant()["tenantId"]
    viewer = api.member(tenant_id, "VIEWER")
    url = stream_url(capped, tenant_id)
    with opened(url, viewer), contextlib.ExitStack() as second:
        second.enter_context(opened(url, viewer))
        body = refused(url, viewer).json()
        assert body["limit"] == 2 and "This token" in body["detail"]
        # the operation stream counts against the same token
        park = httpx.post(
            f"{capped.url}/v1.0/tenants/{tenant_id}/lifecycle/park", json=REASON, headers=api.admin(), timeout=TIMEOUT
        )
        assert park.status_code == 202, park.text
        refused(f"{capped.url}/v1.0/operations/{park.json()['operationId']}/events", viewer)
        # without Accept: text/event-stream the same route answers JSON and holds nothing
        assert httpx.get(url, headers=viewer, timeout=TIMEOUT).status_code == 200
        second.close()
        assert opens_again(url, viewer)


def test_a_tenant_past_its_cap_gets_429_whichever_token_asks(capped: LiveServer) -> None:
    api = capped.api
    tenant_id, other_id = api.create_tenant()["tenantId"], api.create_tenant()["tenantId"]
    first, second = api.member(tenant_id, "VIEWER"), api.member(tenant_id, "VIEWER")
    url = stream_url(capped, tenant_id)
    with opened(url, first), opened(url, first), opened(url, second):
        body = refused(url, second).json()
        assert body["limit"] == 3 and tenant_id in body["detail"]
        with opened(stream_url(capped, other_id), api.member(other_id, "VIEWER")):
            pass  # another tenant's streams are counted apart
    assert opens_again(url, second)


def test_a_stream_ends_when_its_token_expires(capped: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # streams that would otherwise last 10 minutes, with a keepalive every 0.1 s to count how long one lasted
    monkeypatch.setattr(sse, "LIMITS", sse.StreamLimits(poll_seconds=0.05, keepalive_seconds=0.1, max_seconds=600))
    api = capped.api
    tenant_id = api.create_tenant()["tenantId"]
    sub = f"short-{tenant_id}"
    api.member(tenant_id, "VIEWER", sub=sub)
    token = api.token(sub, ttl=4)  # long enough for keepalives to flow on a loaded machine before it expires
    expires: Any = jwt.decode(token, options={"verify_signature": False})["exp"]
    keepalives = 0
    with httpx.stream(
        "GET", stream_url(capped, tenant_id), headers={**STREAM, **api.headers(token)}, timeout=TIMEOUT
    ) as response:
        assert response.status_code == 200, response.read()
        for line in response.iter_lines():
            keepalives += line == ": keepalive"
            assert keepalives < 300, "the stream outlived its token by far"
    assert time.time() >= expires - 1  # it ended because the token expired, not before
    assert keepalives > 0
