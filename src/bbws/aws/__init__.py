"""Lambda entry points (one HTTP function per service, the SQS consumer, the outbox relay, the schedule, the DLQ,
ECS events): thin adapters from AWS events to the same code the server runs. Each Lambda instance builds its
container once, from `BBWS_*` settings, at its first event (see docs/aws/lambdas.md)."""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

from bbws.core.container import Container
from bbws.core.settings import Settings

_lock = threading.Lock()
_containers: dict[str, Container] = {}
ALL = "all"  # `bbws.app.ALL`, spelled here so that importing an entry point does not load the app


def container(service: str = ALL) -> Container:
    """This Lambda instance's container (`BBWS_MODE=aws`, `BBWS_STORE=dynamodb`, `BBWS_QUEUE=sqs`, ...): of one
    HTTP service, or of all of them (the workers)."""
    if service not in _containers:
        with _lock:
            if service not in _containers:
                from bbws.app import build_container

                _containers[service] = build_container(_settings(), service=service)
    return _containers[service]


def _settings() -> Settings:
    # /tmp is the only writable place in Lambda; BBWS_DATA_DIR still wins when set.
    if os.environ.get("BBWS_DATA_DIR"):
        return Settings()
    return Settings(data_dir=Path(tempfile.gettempdir()) / "bbws")


def use_container(value: Container | None, service: str = ALL) -> None:
    """Replace the cached container (tests; None builds every one again from settings on the next call)."""
    if value is None:
        _containers.clear()
    else:
        _containers[service] = value
