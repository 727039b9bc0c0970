"""Template API bodies (create, update, version, publish/archive, preview) and the public views."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bbws.core.ids import SITE_ID_PATTERN, TENANT_ID_PATTERN
from bbws.core.schemas import TEXT_PATTERN, Link, RequestModel, body_rules, visible_pattern
from bbws.templates.models import CATEGORY_PATTERN, MAX_VERSIONS, SLUG_PATTERN, TemplateStatus

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
Name = Annotated[str, StringConstraints(min_length=2, max_length=100, pattern=visible_pattern(2))]
Description = Annotated[str, StringConstraints(max_length=2000, pattern=TEXT_PATTERN)]
Category = Annotated[str, StringConstraints(pattern=CATEGORY_PATTERN)]
TenantId = Annotated[str, StringConstraints(pattern=TENANT_ID_PATTERN)]
SiteId = Annotated[str, StringConstraints(pattern=SITE_ID_PATTERN)]
VersionNumber = Annotated[int, Field(ge=1, le=MAX_VERSIONS, description="A version number of the template.")]
SLUG_TEXT = "Lower-case letters, digits and '-', 2-41 characters, starting with a letter or digit; never changes."


class TemplateCreate(RequestModel):
    slug: Slug = Field(description=SLUG_TEXT, examples=["agency"])
    name: Name = Field(examples=["Agency"])
    description: Description = ""
    category: Category | None = Field(default=None, examples=["business"])
    tenantId: TenantId = Field(description="Tenant of the site to export.")
    siteId: SiteId = Field(description="The ACTIVE site whose content, theme, plugins and settings are exported.")


class TemplateUpdate(RequestModel):
    model_config = ConfigDict(json_schema_extra=body_rules(not_null=("name",), min_properties=1))

    name: Name | None = None
    description: Description | None = None
    category: Category | None = None


class VersionCreate(RequestModel):
    tenantId: TenantId
    siteId: SiteId


class VersionChoice(RequestModel):
    version: VersionNumber | None = Field(
        default=None, description="Default: publish the newest DRAFT version; archive the current one."
    )


class PreviewRequest(RequestModel):
    version: VersionNumber | None = Field(default=None, description="Default: the current (published) version.")
    tenantId: TenantId | None = Field(
        default=None,
        description="The tenant the preview Operation is filed under, so its members can follow it. "
        "Required for callers without a platform role.",
    )


class TemplatePublic(BaseModel):
    """A template as one of its versions describes it (the current one unless a version was named)."""

    model_config = ConfigDict(populate_by_name=True)

    templateId: str = Field(examples=["tpl_01jd3m8x2v9k4q7r5t6w8y0z1a"])
    slug: str = Field(examples=["business"])
    name: str
    description: str
    category: str | None = None
    status: TemplateStatus = Field(description="PUBLISHED when a version is; else DRAFT or ARCHIVED.")
    builtin: bool
    usageCount: int
    currentVersion: int | None = Field(None, description="The version new sites get (newest PUBLISHED).")
    version: int | None = Field(None, description="The version described here.")
    versionStatus: TemplateStatus | None = None
    themeSlug: str | None = None
    includedPlugins: list[str]
    minWordPressVersion: str | None = None
    latestVersion: int | None = Field(None, description="Platform admins only: the newest version made.")
    versionStatuses: dict[str, TemplateStatus] | None = Field(None, description="Platform admins only.")
    lastError: str | None = None
    createdAt: str
    updatedAt: str
    links: dict[str, Link] = Field(alias="_links")


class TemplateVersionPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    templateId: str
    slug: str
    version: int
    status: TemplateStatus
    themeSlug: str | None = None
    includedPlugins: list[str]
    minWordPressVersion: str | None = None
    checksum: str | None = Field(None, description="sha256 of the archive (null until a built-in one is built).")
    size: int | None = None
    builtin: bool
    sourceTenantId: str | None = Field(None, description="Platform admins only.")
    sourceSiteId: str | None = Field(None, description="Platform admins only.")
    createdAt: str
    publishedAt: str | None = None
    archivedAt: str | None = None
    links: dict[str, Link] = Field(alias="_links")


class PreviewPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    templateId: str
    version: int
    status: str = Field(description="PENDING, BUILDING, READY, STOPPED (made, but not answering now) or FAILED.")
    url: str | None = None
    error: str | None = None
    createdAt: str
    readyAt: str | None = None
    links: dict[str, Link] = Field(alias="_links")
