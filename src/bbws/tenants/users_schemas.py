"""Users API bodies: role assignments on nodes, members with their assignments, a user's tenants."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bbws.core.schemas import Email, Link, RequestModel, body_rules
from bbws.tenants.hierarchy_schemas import NODE_ID_PATTERN
from bbws.tenants.models import TenantStatus, Tier

# No `#` or `/`: user ids are spelled into store keys.
USER_ID_PATTERN = r"^[A-Za-z0-9@._:+-]{1,128}$"


class TenantRole(StrEnum):
    ADMIN = "ADMIN"
    OPERATOR = "OPERATOR"
    VIEWER = "VIEWER"


class RoleAssign(RequestModel):
    """Give a user a role on a node (absent `nodeId`: the whole tenant). Name the user by `userId` or by the
    `email` of a user the platform already knows, not both."""

    model_config = ConfigDict(json_schema_extra=body_rules(not_null=("userId", "email"), one_of=("userId", "email")))

    userId: str | None = Field(None, pattern=USER_ID_PATTERN, examples=["3f0c9d6e-8a5b-4c1e-9f7a-2b6d8e4c1a90"])
    email: Email | None = Field(None, examples=["dev@acme.example"])
    role: TenantRole
    nodeId: str | None = Field(None, pattern=NODE_ID_PATTERN, description="A division, group or team id.")

    @model_validator(mode="after")
    def _exactly_one_user(self) -> RoleAssign:
        if len(self.model_fields_set & {"userId", "email"}) != 1 or (self.userId is None) == (self.email is None):
            raise ValueError("send exactly one of userId and email")
        return self


class AssignmentPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    role: TenantRole
    nodeId: str | None = Field(None, description="null: the role applies to the whole tenant.")
    nodePath: str = Field(description='"" for the tenant, else `div_x[/grp_y[/team_z]]`.')
    assignedAt: str
    assignedBy: str
    links: dict[str, Link] = Field(alias="_links")


class MemberPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    userId: str
    tenantId: str
    email: str | None = None
    since: str
    updatedAt: str | None = None
    assignments: list[AssignmentPublic]
    version: int
    links: dict[str, Link] = Field(alias="_links")


class UserTenant(BaseModel):
    """One tenant of a user, with the roles the user holds there."""

    model_config = ConfigDict(populate_by_name=True)

    tenantId: str
    organizationName: str
    status: TenantStatus
    tier: Tier
    roles: list[AssignmentPublic]
    links: dict[str, Link] = Field(alias="_links")
