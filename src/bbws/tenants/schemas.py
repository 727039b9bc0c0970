"""Tenant API bodies: `TenantCreate`, `TenantUpdate`, `TenantPublic`, lifecycle requests and the Operation."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from bbws.core.schemas import Email, Link, RequestModel, body_rules, refuse_nulls, visible_pattern
from bbws.tenants.models import TenantStatus, Tier

OrgName = Annotated[
    str, StringConstraints(min_length=2, max_length=100, strip_whitespace=True, pattern=visible_pattern(2))
]
Reason = Annotated[str, StringConstraints(min_length=10, max_length=500, strip_whitespace=True)]
MetaKey = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
MetaValue = Annotated[str, StringConstraints(max_length=500)]
Metadata = Annotated[dict[MetaKey, MetaValue], Field(max_length=50)]

class TenantCreate(RequestModel):
    organizationName: OrgName = Field(examples=["Acme Agency"])
    contactEmail: Email = Field(examples=["ops@acme.example"])
    tier: Tier = Tier.STANDARD
    metadata: Metadata = Field(default_factory=dict, examples=[{"costCenter": "CC-42"}])


class TenantUpdate(RequestModel):
    model_config = ConfigDict(json_schema_extra=body_rules(
        not_null=("organizationName", "contactEmail", "tier", "metadata"), min_properties=1
    ))

    organizationName: OrgName | None = None
    contactEmail: Email | None = None
    tier: Tier | None = None
    metadata: Metadata | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> TenantUpdate:
        refuse_nulls(self, "organizationName", "contactEmail", "tier", "metadata")
        return self


class ReasonBody(RequestModel):
    reason: Reason = Field(examples=["Invoice 2026-11 overdue by 30 days"])


class TenantPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    tenantId: str = Field(examples=["ten_01jd3m8x2v9k4q7r5t6w8y0z1a"])
    organizationName: str
    contactEmail: str
    tier: Tier
    status: TenantStatus
    metadata: dict[str, str]
    statusReason: str | None = None
    parkedAt: str | None = None
    parkedBy: str | None = None
    createdAt: str
    createdBy: str
    updatedAt: str
    updatedBy: str
    version: int
    links: dict[str, Link] = Field(alias="_links")


class AuditRecord(BaseModel):
    auditId: str
    tenantId: str
    time: str
    actor: str
    requestId: str
    action: str = Field(examples=["tenant.parked"])
    resourceType: str
    resourceId: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
