"""Operation API schema."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bbws.core.schemas import Link


class OperationPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    operationId: str
    tenantId: str
    operationType: str = Field(examples=["TENANT_PARK"])
    status: str = Field(examples=["COMPLETED"])
    progress: int = Field(ge=0, le=100)
    message: str
    resourceType: str
    resourceId: str
    createdAt: str
    createdBy: str
    startedAt: str | None = None
    completedAt: str | None = None
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    links: dict[str, Link] = Field(alias="_links")
