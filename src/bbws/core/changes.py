"""The one way to change state: collect item writes plus their audit records, commit them in one transaction."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bbws.core import keys
from bbws.core.clock import iso
from bbws.core.events import Event
from bbws.core.ids import new_id
from bbws.core.store import Check, Condition, Delete, ItemStore, Op, Put

AUDIT_RETENTION_DAYS = 400
OUTBOX_SHARDS = 4
EVENT_LOG_DAYS = 7


@dataclass(frozen=True)
class Actor:
    """Who makes a change and under which request (`system` for the platform's own work)."""

    sub: str
    request_id: str = ""

    @classmethod
    def system(cls, reason: str = "system") -> Actor:
        return cls(sub=reason, request_id=new_id("req"))

    @classmethod
    def of_operation(cls, operation: dict[str, Any] | None) -> Actor:
        """Who asked for an Operation: its job's changes are theirs, under the request that asked."""
        op = operation or {}
        return cls(sub=op.get("createdBy", "system"), request_id=op.get("requestId", ""))


@dataclass
class Changes:
    actor: Actor
    now: datetime
    audit_retention_days: int = AUDIT_RETENTION_DAYS
    ops: list[Op] = field(default_factory=list)

    @property
    def timestamp(self) -> str:
        return iso(self.now)

    def put(self, item: dict[str, Any], condition: Condition | None = None) -> None:
        """Write an item. Writing the same item again in one changeset replaces the first write and keeps its
        guard (a transaction may touch an item once, and the guard speaks of the stored version)."""
        for i, op in enumerate(self.ops):
            if isinstance(op, Put) and (op.item["pk"], op.item["sk"]) == (item["pk"], item["sk"]):
                self.ops[i] = Put(item, op.condition)
                return
        self.ops.append(Put(item, condition))

    def delete(self, pk: str, sk: str, condition: Condition | None = None) -> None:
        self.ops.append(Delete(pk, sk, condition))

    def check(self, pk: str, sk: str, condition: Condition) -> None:
        self.ops.append(Check(pk, sk, condition))

    def audit(
        self,
        *,
        tenant_id: str,
        action: str,
        resource_type: str,
        resource_id: str,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        event_data: dict[str, Any] | None = None,
    ) -> None:
        """Record who changed what, and publish it: every audited change is also the domain event
        `bbws.{action}` (outbox + the tenant's event log), written in this same transaction."""
        audit_id = new_id("aud", now_ms=int(self.now.timestamp() * 1000))
        expires = self.now + timedelta(days=self.audit_retention_days)
        self.put(
            {
                "pk": keys.tenant_pk(tenant_id),
                "sk": keys.audit_sk(self.timestamp, audit_id),
                "type": "audit",
                "auditId": audit_id,
                "tenantId": tenant_id,
                "time": self.timestamp,
                "actor": self.actor.sub,
                "requestId": self.actor.request_id,
                "action": action,
                "resourceType": resource_type,
                "resourceId": resource_id,
                "before": _public(before),
                "after": _public(after),
                "ttl": int(expires.timestamp()),
            }
        )
        data = event_data if event_data is not None else _public(after if after is not None else before)
        self.emit(f"bbws.{action}", tenant_id=tenant_id, subject=f"{resource_type}/{resource_id}", data=data or {})

    def emit(self, event_type: str, *, tenant_id: str, subject: str, data: dict[str, Any]) -> Event:
        """Add a domain event: to the outbox (the relay hands it on) and to the tenant's event log (streams)."""
        event = Event(type=event_type, tenant_id=tenant_id, subject=subject, data=data, time=self.timestamp)
        self.outbox(kind="event", tenant_id=tenant_id, message_id=event.id, body=event.envelope())
        expires = self.now + timedelta(days=EVENT_LOG_DAYS)
        self.put({"pk": keys.tenant_pk(tenant_id), "sk": keys.event_sk(self.timestamp, event.id), "type": "event",
                  "event": event.envelope(), "ttl": int(expires.timestamp())})
        return event

    def outbox(self, *, kind: str, tenant_id: str, message_id: str, body: dict[str, Any]) -> None:
        """Record a job or an event to hand on after commit (the relay delivers it at least once)."""
        shard = zlib.crc32(tenant_id.encode()) % OUTBOX_SHARDS
        pk, sk = keys.outbox_key(shard, self.timestamp, message_id)
        self.put({"pk": pk, "sk": sk, "type": "outbox",
                  "kind": kind, "tenantId": tenant_id, "messageId": message_id, "body": body})

    def commit(self, store: ItemStore) -> None:
        if self.ops:
            store.transact(self.ops)
            self.ops = []


def _public(item: dict[str, Any] | None) -> dict[str, Any] | None:
    """An item without its storage keys, as the audit trail shows it."""
    if item is None:
        return None
    return {k: v for k, v in item.items() if k not in ("pk", "sk", "ttl") and not k.startswith("GSI")}
