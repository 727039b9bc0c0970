"""Operations tests: the API harness, and the same app served by uvicorn on a free port (for streams)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from bbws.jobs import sse
from tests.support.api import ApiHarness

STARTUP_TIMEOUT = 30.0


class LiveServer:
    """The harness's app under uvicorn in a thread, on a socket bound here (no port race); its lifespan
    runs the in-process worker when the harness's settings ask for one."""

    def __init__(self, api: ApiHarness) -> None:
        self.api = api
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(api.app, log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self.server.started:
            assert self.thread.is_alive(), "uvicorn stopped during startup"
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(15)
        self.sock.close()


@pytest.fixture
def fast_streams(monkeypatch: pytest.MonkeyPatch) -> sse.StreamLimits:
    """Streams that poll often, keep alive quickly and end soon, so tests see every branch in a moment."""
    limits = sse.StreamLimits(poll_seconds=0.05, keepalive_seconds=0.3, max_seconds=20.0)
    monkeypatch.setattr(sse, "LIMITS", limits)
    return limits


@pytest.fixture
def api(tmp_path: Path) -> ApiHarness:
    return ApiHarness(tmp_path / "data")


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    """A served app whose own worker runs the jobs."""
    with LiveServer(ApiHarness(tmp_path / "live")) as server:
        yield server
