"""Domain events (facts, past tense) and their CloudEvents-shaped envelope; no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bbws.core.ids import new_id

SOURCES = {"tenant": "bbws.tenant-management", "site": "bbws.site-management",
           "instance": "bbws.instance-management"}
# Event areas that belong to the tenant-management source on EventBridge.
_TENANT_AREAS = {"tenant", "division", "group", "team", "user", "invitation", "webhook", "operation"}


@dataclass(frozen=True)
class Event:
    """`type` is `bbws.{area}.{fact}` (`bbws.tenant.parked`); EventBridge's detail-type is `TENANT_PARKED`."""

    type: str
    tenant_id: str
    subject: str
    data: dict[str, Any]
    time: str
    id: str = field(default_factory=lambda: new_id("evt"))

    @property
    def area(self) -> str:
        return self.type.split(".")[1]

    @property
    def source(self) -> str:
        return SOURCES["tenant"] if self.area in _TENANT_AREAS else SOURCES.get(self.area, "bbws.platform")

    @property
    def detail_type(self) -> str:
        return "_".join(self.type.split(".")[1:]).upper()

    def envelope(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "source": self.source, "time": self.time,
                "tenantId": self.tenant_id, "subject": self.subject, "data": self.data, "specversion": "1.0"}

    @classmethod
    def from_envelope(cls, body: dict[str, Any]) -> Event:
        return cls(type=body["type"], tenant_id=body["tenantId"], subject=body["subject"], data=body["data"],
                   time=body["time"], id=body["id"])


def matches_filter(event_type: str, patterns: list[str]) -> bool:
    """Webhook `eventTypes`: `*` for all, an exact type, or a prefix wildcard like `bbws.tenant.*`."""
    return any(p == "*" or p == event_type or (p.endswith(".*") and event_type.startswith(p[:-1]))
               for p in patterns)
