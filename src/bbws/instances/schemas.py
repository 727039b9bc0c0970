"""Instance API bodies: create, update, status action, size, and the public views."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from bbws.core.schemas import Link, RequestModel, body_rules, refuse_nulls
from bbws.instances.models import MAX_DESIRED, MIN_DESIRED, Environment, InstanceStatus

INSTANCE_ID_PATTERN = r"^ins_[0-9a-z]{26}$"
Version = Annotated[str, StringConstraints(pattern=r"^\d{1,2}\.\d{1,2}(\.\d{1,3})?$", max_length=12)]
Size = Annotated[str, StringConstraints(pattern=r"^[1-9]\d{0,3}M$")]
NEWEST = "Default: the newest installed on the runtime."
DesiredCount = Annotated[int, Field(ge=MIN_DESIRED, le=MAX_DESIRED, description="PHP workers (ECS tasks on AWS).")]


class InstanceSettings(RequestModel):
    phpMemoryLimit: Size | None = Field(default=None, examples=["256M"])
    uploadMaxFilesize: Size | None = Field(default=None, examples=["64M"])
    debug: bool | None = Field(default=None, description="Show PHP errors (never on prod).")


class InstanceCreate(RequestModel):
    environment: Environment
    desiredCount: DesiredCount = 2
    wordpressVersion: Version | None = Field(default=None, description=NEWEST, examples=["6.1.9"])
    phpVersion: Version | None = Field(default=None, description=NEWEST, examples=["8.2"])
    settings: InstanceSettings = Field(default_factory=InstanceSettings)


class InstanceUpdate(RequestModel):
    model_config = ConfigDict(json_schema_extra=body_rules(
        not_null=("wordpressVersion", "phpVersion", "desiredCount", "settings"), min_properties=1
    ))

    wordpressVersion: Version | None = None
    phpVersion: Version | None = None
    desiredCount: DesiredCount | None = None
    settings: InstanceSettings | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> InstanceUpdate:
        refuse_nulls(self, "wordpressVersion", "phpVersion", "desiredCount", "settings")
        return self


class StatusAction(RequestModel):
    action: Literal["stop", "start"]


class SizeBody(RequestModel):
    desiredCount: DesiredCount


class InstancePublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    instanceId: str = Field(examples=["ins_01jd3m8x2v9k4q7r5t6w8y0z1a"])
    tenantId: str
    environment: Environment
    status: InstanceStatus
    url: str | None = None
    desiredCount: int
    runningCount: int
    wordpressVersion: str
    phpVersion: str
    settings: dict[str, object]
    resources: dict[str, object] = Field(description="What was made: database, files path, port (ARNs on AWS).")
    runtime: str = Field(examples=["local"])
    lastError: str | None = None
    createdAt: str
    createdBy: str
    updatedAt: str
    version: int
    links: dict[str, Link] = Field(alias="_links")


class InstanceStatusPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    instanceId: str
    status: InstanceStatus
    desiredCount: int
    runningCount: int
    pendingCount: int
    answering: bool = Field(description="The instance URL answered HTTP just now.")
    url: str | None = None
    links: dict[str, Link] = Field(alias="_links")
