"""Lambda entry point of the API: API Gateway (HTTP API) -> Mangum -> the same FastAPI app `bbws serve` runs."""

from __future__ import annotations

import threading
from typing import Any

from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES

from bbws.aws import container

# Problems go out as text too (Mangum would base64-encode a media type it does not know).
TEXT_TYPES = [*DEFAULT_TEXT_MIME_TYPES, "application/problem+json"]
_lock = threading.Lock()
_mangum: Mangum | None = None


def handler(event: dict[str, Any], context: Any) -> Any:
    """`Mangum(app)`, built at the first request of this Lambda instance and kept for the next ones."""
    global _mangum
    if _mangum is None:
        with _lock:
            if _mangum is None:
                from bbws.app import create_app

                # No lifespan: the app's lifespan starts a worker thread, and on AWS the SQS consumer does that work.
                _mangum = Mangum(create_app(container=container()), lifespan="off", text_mime_types=TEXT_TYPES)
    return _mangum(event, context)


def reset() -> None:
    """Forget the app (tests; the next request builds it again)."""
    global _mangum
    _mangum = None
