"""Lambda entry points (HTTP, SQS consumer, outbox relay): thin adapters from AWS events to the same code
the server runs. Each Lambda instance builds its container once, from `BBWS_*` settings, at cold start."""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

from bbws.core.container import Container
from bbws.core.settings import Settings

_lock = threading.Lock()
_container: Container | None = None


def container() -> Container:
    """This Lambda instance's container (`BBWS_MODE=aws`, `BBWS_STORE=dynamodb`, `BBWS_QUEUE=sqs`, ...)."""
    global _container
    if _container is None:
        with _lock:
            if _container is None:
                from bbws.app import build_container

                _container = build_container(_settings())
    return _container


def _settings() -> Settings:
    # /tmp is the only writable place in Lambda; BBWS_DATA_DIR still wins when set.
    if os.environ.get("BBWS_DATA_DIR"):
        return Settings()
    return Settings(data_dir=Path(tempfile.gettempdir()) / "bbws")


def use_container(value: Container | None) -> None:
    """Replace the cached container (tests; None builds it again from settings on the next call)."""
    global _container
    _container = value
