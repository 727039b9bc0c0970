"""A moto server on 127.0.0.1 for integration tests, and boto3 clients that talk only to it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

REGION = "af-south-1"


@contextmanager
def moto_server() -> Iterator[str]:
    """Run a moto server on a free local port for the duration of the block; yield its endpoint URL."""
    # werkzeug logs every request at INFO; keep test output readable.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # Port 0 lets the OS pick a free port atomically, so parallel workers (xdist) never collide.
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def boto_client(service: str, endpoint: str) -> Any:
    """A client for `service` on the moto server, with dummy credentials passed explicitly.

    Explicit credentials (never process-wide env vars) mean a developer's real AWS profile can neither
    leak into a test nor be touched by one.
    """
    session = boto3.session.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        aws_session_token="testing",
        region_name=REGION,
    )
    return session.client(service, endpoint_url=endpoint, region_name=REGION)  # type: ignore[call-overload]
