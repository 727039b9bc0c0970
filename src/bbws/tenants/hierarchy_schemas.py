"""Hierarchy API bodies: divisions, groups and teams share one shape (`NodeCreate`, `NodeUpdate`, `NodePublic`)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from bbws.core.schemas import TEXT_PATTERN, Link, RequestModel, body_rules, visible_pattern

DIVISION_ID_PATTERN = r"^div_[0-9a-z]{26}$"
GROUP_ID_PATTERN = r"^grp_[0-9a-z]{26}$"
TEAM_ID_PATTERN = r"^team_[0-9a-z]{26}$"
NODE_ID_PATTERN = r"^(div|grp|team)_[0-9a-z]{26}$"

NodeName = Annotated[
    str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True, pattern=visible_pattern(1))
]
Description = Annotated[str, StringConstraints(max_length=500, pattern=TEXT_PATTERN)]


class NodeKind(StrEnum):
    DIVISION = "DIVISION"
    GROUP = "GROUP"
    TEAM = "TEAM"


class NodeCreate(RequestModel):
    name: NodeName = Field(examples=["Marketing"])
    description: Description | None = Field(None, examples=["Sites of the marketing department"])


class NodeUpdate(RequestModel):
    """Send the fields to change; `description: null` clears the description."""

    model_config = ConfigDict(json_schema_extra=body_rules(not_null=("name",), min_properties=1))

    name: NodeName | None = None
    description: Description | None = None

    @model_validator(mode="after")
    def _name_not_null(self) -> NodeUpdate:
        if "name" in self.model_fields_set and self.name is None:
            raise ValueError("name cannot be null")
        return self


class NodePublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    nodeId: str = Field(examples=["grp_01jd3m8x2v9k4q7r5t6w8y0z1a"])
    kind: NodeKind
    tenantId: str
    parentId: str | None = Field(None, description="The parent node's id; null for a division.")
    path: str = Field(examples=["div_01jd3m8x2v9k4q7r5t6w8y0z1a/grp_01jd3m8x2v9k4q7r5t6w8y0z1b"])
    divisionId: str
    groupId: str | None = None
    teamId: str | None = None
    name: str
    description: str | None = None
    childCount: int = Field(description="Direct children (groups of a division, teams of a group).")
    assignmentCount: int = Field(description="Role assignments held on this node.")
    createdAt: str
    createdBy: str
    updatedAt: str
    updatedBy: str
    version: int
    links: dict[str, Link] = Field(alias="_links")
