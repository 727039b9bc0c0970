"""Where webhook endpoints and their deliveries live in the single table (in the tenant's partition); the only
place their keys are spelled."""

from __future__ import annotations

WEBHOOK_PREFIX = "WEBHOOK#"
DELIVERY_PREFIX = "DELIVERY#"
DUE_INDEX = "DELIVERIES#DUE"  # GSI1 partition of deliveries waiting for an attempt, by next attempt time


def webhook_sk(webhook_id: str) -> str:
    return f"{WEBHOOK_PREFIX}{webhook_id}"


def deliveries_prefix(webhook_id: str) -> str:
    return f"{DELIVERY_PREFIX}{webhook_id}#"


def delivery_sk(webhook_id: str, event_time: str, event_id: str) -> str:
    """One delivery per (event, endpoint): the key itself is the dedupe guard; newest events sort last."""
    return f"{deliveries_prefix(webhook_id)}{event_time}#{event_id}"


def due_indexes(next_attempt_at: str, delivery_id: str) -> dict[str, str]:
    return {"GSI1PK": DUE_INDEX, "GSI1SK": f"{next_attempt_at}#{delivery_id}"}
