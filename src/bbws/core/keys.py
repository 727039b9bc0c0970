"""Where the kernel's own items live in the single table (a tenant's partition, its audit records and event
log, the outbox, idempotency records); the only place their keys are spelled. Contexts name their items in
their own `keys` modules, inside the tenant partition spelled here."""

from __future__ import annotations


def tenant_pk(tenant_id: str) -> str:
    """Everything of one tenant is in its partition: the tenant id is in every key."""
    return f"TENANT#{tenant_id}"


AUDIT_PREFIX = "AUDIT#"
EVENT_PREFIX = "EVENT#"  # a tenant's event log, in time order (what streams read)
OUTBOX_PREFIX = "OUTBOX#"


def audit_sk(timestamp: str, audit_id: str) -> str:
    return f"{AUDIT_PREFIX}{timestamp}#{audit_id}"


def event_sk(timestamp: str, event_id: str) -> str:
    return f"{EVENT_PREFIX}{timestamp}#{event_id}"


def outbox_key(shard: int, timestamp: str, message_id: str) -> tuple[str, str]:
    """Outbox items are spread over a few shard partitions, in commit order within each."""
    return outbox_pk(shard), f"{timestamp}#{message_id}"


def outbox_pk(shard: int) -> str:
    return f"{OUTBOX_PREFIX}{shard}"


def idempotency_key(principal: str, scope_hash: str) -> tuple[str, str]:
    """One record per caller and (method, path, Idempotency-Key)."""
    return f"IDEMPOTENCY#{principal}#{scope_hash}", "METADATA"
