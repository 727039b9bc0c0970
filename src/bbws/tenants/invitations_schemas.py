"""Invitations API bodies: create, the tenant's view of an invitation, and the view of its token holder."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from bbws.core.schemas import Email, Link, RequestModel
from bbws.tenants.hierarchy_schemas import NODE_ID_PATTERN
from bbws.tenants.users_schemas import TenantRole

INVITATION_ID_PATTERN = r"^inv_[0-9a-z]{26}$"
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{32,128}$"


class InvitationStatus(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


class InvitationCreate(RequestModel):
    email: Email = Field(examples=["new.dev@acme.example"])
    role: TenantRole
    nodeId: str | None = Field(None, pattern=NODE_ID_PATTERN, description="A division, group or team id.")
    expiresInDays: int | None = Field(None, ge=1, le=30, description="Days until it expires (default 7).")


class InvitationPublic(BaseModel):
    """An invitation as its tenant sees it (the token is never shown: it only travels in the email)."""

    model_config = ConfigDict(populate_by_name=True)

    invitationId: str = Field(examples=["inv_01jd3m8x2v9k4q7r5t6w8y0z1a"])
    tenantId: str
    email: str
    role: TenantRole
    nodeId: str | None = None
    nodePath: str
    nodeName: str | None = Field(None, description="The node's name when the invitation was made.")
    status: InvitationStatus = Field(description="EXPIRED: still PENDING when `expiresAt` passed.")
    expiresAt: str
    expiresInDays: int
    sentCount: int
    lastSentAt: str
    createdAt: str
    createdBy: str
    updatedAt: str
    acceptedAt: str | None = None
    acceptedBy: str | None = None
    declinedAt: str | None = None
    cancelledAt: str | None = None
    cancelledBy: str | None = None
    version: int
    links: dict[str, Link] = Field(alias="_links")


class InvitationView(BaseModel):
    """What an invitation offers, as its token holder sees it."""

    model_config = ConfigDict(populate_by_name=True)

    invitationId: str
    tenantId: str
    organizationName: str
    email: str
    role: TenantRole
    nodeId: str | None = None
    nodeName: str | None = None
    status: InvitationStatus
    expiresAt: str
    links: dict[str, Link] = Field(
        alias="_links", description="Templated: put the invitation token in place of `{token}`."
    )
