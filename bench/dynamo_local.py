"""A moto DynamoDB server on a free loopback port, and a client with dummy credentials that talks only to it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3

REGION = "af-south-1"


@contextmanager
def moto_endpoint() -> Iterator[str]:
    """Run a moto server for the duration of the block; yield its endpoint URL."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one INFO line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)  # port 0: the OS picks a free one
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def dynamodb_client(endpoint: str) -> Any:
    """Explicit dummy credentials, so a developer's real AWS profile is never read or touched."""
    session = boto3.session.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        aws_session_token="testing",
        region_name=REGION,
    )
    return session.client("dynamodb", endpoint_url=endpoint, region_name=REGION)
