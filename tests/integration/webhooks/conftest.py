"""Fixtures for the webhook tests: apps (SSRF checks on, or loopback allowed with a manual clock) and a receiver."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bbws.core.clock import ManualClock
from tests.support.api import ApiHarness, rid

# A public address literal: accepted without DNS; no test lets a delivery go out to it.
PUBLIC_URL = "https://93.184.215.14/hooks/bbws"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook receiver on a free loopback port: records every request, answers the statuses it is told."""

    answers: list[int] = field(default_factory=list)  # answered in order; then `default`
    default: int = 200
    requests: list[Received] = field(default_factory=list)
    server: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def next_status(self) -> int:
        return self.answers.pop(0) if self.answers else self.default

    def of_type(self, event_type: str) -> list[Received]:
        return [r for r in self.requests if f'"type":"{event_type}"'.encode() in r.body]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            receiver.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            status = receiver.next_status()
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            payload = b"receiver says no" if status >= 300 else b"ok"
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    found.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(found))
    thread = threading.Thread(target=found.server.serve_forever, daemon=True)
    thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture
def api(tmp_path: Path) -> ApiHarness:
    """The default settings: webhook URLs that resolve to loopback or private addresses are refused."""
    return ApiHarness(tmp_path / "data")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime.now(UTC))  # near real time: stored TTLs are compared with the real clock


@pytest.fixture
def local(tmp_path: Path, clock: ManualClock) -> ApiHarness:
    """Loopback receivers allowed, and a clock that moves only when the test says so."""
    return ApiHarness(tmp_path / "local", clock=clock, webhooks_allow_loopback=True)


def make_webhook(api: ApiHarness, tenant_id: str, url: str, event_types: list[str] | None = None) -> dict[str, Any]:
    body = {"url": url, "eventTypes": event_types or ["*"], "description": rid("hook")}
    r = api.client.post(f"/v1.0/tenants/{tenant_id}/webhooks", json=body, headers=api.admin())
    assert r.status_code == 201, r.text
    return dict(r.json())
