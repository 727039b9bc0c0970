"""Receiving BBWS webhooks: check a delivery's Standard Webhooks signature and timestamp, get its event."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError

__all__ = ["WebhookVerificationError", "verify_webhook"]


def verify_webhook(secret: str, headers: Mapping[str, str], body: bytes | str) -> dict[str, Any]:
    """The event envelope of a delivery whose signature matches `secret` and whose timestamp is within
    5 minutes of now; raises WebhookVerificationError otherwise. Pass the body exactly as received."""
    try:
        event = Webhook(secret).verify(body, dict(headers.items()))
    except WebhookVerificationError:
        raise
    except (ValueError, TypeError) as exc:  # a malformed header or body, e.g. a signature that is not base64
        raise WebhookVerificationError(f"Malformed webhook: {exc}") from exc
    if not isinstance(event, dict):
        raise WebhookVerificationError("The body is not a BBWS event envelope.")
    return event
