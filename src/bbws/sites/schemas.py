"""Site API bodies and views: create, update, status, clone, promote, backup/restore, and what is shown."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from bbws.core.schemas import NAME_PATTERN, Email, Link, RequestModel, body_rules, refuse_nulls, visible_pattern
from bbws.instances.models import Environment
from bbws.sites.models import HealthStatus, SiteStatus

Subdomain = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", min_length=1, max_length=63),
    Field(
        description="A DNS label, unique per environment across the platform; reserved words are refused.",
        examples=["acme"],
    ),
]
SiteName = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=visible_pattern(1)), Field(examples=["Acme Widgets"])
]
Tagline = Annotated[str, StringConstraints(max_length=200, pattern=NAME_PATTERN)]
TemplateRef = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{1,40}(@[0-9]{1,4})?$"),
    Field(description="Template id (`tpl_...`) or slug, optionally `@version`.", examples=["business"]),
]
PLUGIN_REF = r"^(plg_[0-9a-z]{26}|[a-z0-9][a-z0-9_-]{0,63}(@[0-9A-Za-z.+-]{1,32})?)$"
PluginRef = Annotated[
    str,
    StringConstraints(pattern=PLUGIN_REF),
    Field(description="Catalog plugin id (`plg_...`) or slug, optionally `@version`.", examples=["bbws-hello"]),
]
NodeId = Annotated[str, StringConstraints(pattern=r"^(div|grp|team)_[0-9a-z]{26}$")]
BackupId = Annotated[str, StringConstraints(pattern=r"^bak_[0-9a-z]{26}$")]


class SiteCreate(RequestModel):
    siteName: SiteName
    subdomain: Subdomain
    environment: Environment
    templateId: TemplateRef | None = None
    plugins: list[PluginRef] = Field(
        default_factory=list, max_length=20, description="Catalog plugins to install and activate."
    )
    teamId: NodeId | None = Field(default=None, description="The team (or group/division) the site belongs to.")
    adminEmail: Email | None = Field(default=None, description="Default: the tenant's contact email.")
    tagline: Tagline | None = None


class SiteUpdate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra=body_rules(not_null=("siteName", "tagline", "adminEmail"), min_properties=1)
    )

    siteName: SiteName | None = None
    tagline: Tagline | None = None
    adminEmail: Email | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> SiteUpdate:
        refuse_nulls(self, "siteName", "tagline", "adminEmail")
        return self


class SiteStatusBody(RequestModel):
    action: Literal["suspend", "activate"]


class CloneBody(RequestModel):
    subdomain: Subdomain
    siteName: SiteName
    environment: Environment | None = Field(default=None, description="Default: the source's environment.")


class PromoteBody(RequestModel):
    # Any environment is a valid request; one that is not the source's next is refused by the order rule (SITE_006).
    target: Environment = Field(description="The source's next environment: sit for a dev site, prod for a sit site.")


class RestoreBody(RequestModel):
    backupId: BackupId


class ApplyTemplateBody(RequestModel):
    templateId: TemplateRef


class SitePublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    siteId: str = Field(examples=["site_01jd3m8x2v9k4q7r5t6w8y0z1a"])
    tenantId: str
    siteName: str
    subdomain: str
    environment: Environment
    status: SiteStatus
    url: str | None = None
    lineageId: str
    templateId: str | None = None
    teamId: str | None = None
    instanceId: str | None = None
    wordpressVersion: str | None = None
    phpVersion: str | None = None
    healthStatus: HealthStatus
    lastHealthAt: str | None = None
    adminEmail: str | None = None
    adminUser: str | None = None
    tagline: str | None = None
    declared: dict[str, Any] = Field(description="The plugins and theme the platform installed (drift baseline).")
    lastError: str | None = None
    promotedFrom: str | None = None
    clonedFrom: str | None = None
    createdAt: str
    createdBy: str
    updatedAt: str
    version: int
    links: dict[str, Link] = Field(alias="_links")


class BackupPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    backupId: str
    siteId: str
    tenantId: str
    status: Literal["PENDING", "COMPLETED", "FAILED"]
    reason: str = Field(examples=["manual", "pre-delete", "pre-promotion", "pre-restore", "pre-template"])
    size: int | None = None
    checksum: str | None = Field(default=None, description="sha256 of the archive.")
    content: dict[str, Any] | None = Field(default=None, description="Posts, pages and tables counted at backup.")
    createdAt: str
    createdBy: str
    completedAt: str | None = None
    links: dict[str, Link] = Field(alias="_links")


class PromotionPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    promotionId: str
    sourceSiteId: str
    targetSiteId: str
    sourceEnvironment: Environment
    targetEnvironment: Environment
    status: Literal["IN_PROGRESS", "COMPLETED", "ROLLED_BACK", "FAILED"]
    preBackupId: str | None = None
    targetCreated: bool
    plan: dict[str, Any] | None = None
    health: dict[str, Any] | None = None
    error: str | None = None
    requestedBy: str
    createdAt: str
    completedAt: str | None = None
    rolledBackAt: str | None = None
    rolledBackBy: str | None = None
    operationId: str
    links: dict[str, Link] = Field(alias="_links")


class HealthCheck(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    status: Literal["pass", "warn", "fail"]
    detail: str | None = None
    httpStatus: int | None = None
    latencyMs: float | None = None


class HealthReport(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    siteId: str
    healthStatus: HealthStatus
    checkedAt: str | None = Field(description="When the check ran; null before the first one.")
    checks: list[HealthCheck]
    versions: dict[str, Any] = Field(default_factory=dict)
    siteHealth: dict[str, Any] | None = None
    drift: list[dict[str, Any]] = Field(default_factory=list)
    links: dict[str, Link] = Field(alias="_links")


class Blocker(BaseModel):
    """One reason the promotion would be refused: the `code` (and status) the request would answer with."""

    code: str = Field(examples=["INSTANCE_NOT_FOUND"])
    status: int = Field(examples=[409])
    detail: str
    hint: str | None = Field(default=None, description="The next step: a `bbws` command for the CLI, else the call.")


class PromotionPlan(BaseModel):
    model_config = ConfigDict(extra="allow")

    dryRun: bool = True
    ready: bool = Field(description="True when the request would be accepted now (no blockers).")
    blockers: list[Blocker] = Field(
        description="Every check the request would fail, in the order it checks them; the first is its answer."
    )
    sourceSiteId: str
    sourceEnvironment: Environment
    targetEnvironment: Environment
    targetSiteId: str | None = Field(default=None, description="None: the promotion creates the target site.")
    tables: list[dict[str, Any]] | None = Field(
        description="None (like the other parts of the plan) when the sites could not be compared: see `blockers`."
    )
    files: dict[str, Any] | None
    versions: list[dict[str, Any]] | None
    plugins: list[dict[str, Any]] | None
    theme: dict[str, Any] | None = None
    healthGate: dict[str, Any]
