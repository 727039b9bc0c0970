"""Per-site plugin API bodies and views: install, status, configuration, update; the list and drift reports."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from bbws.core.schemas import Link, RequestModel, body_rules, refuse_nulls
from bbws.plugins.models import PLUGIN_ID_PATTERN, SLUG_PATTERN, VERSION_MAX

Kind = Literal["plugin", "theme"]
PluginId = Annotated[
    str, StringConstraints(pattern=PLUGIN_ID_PATTERN), Field(examples=["plg_01jd3m8x2v9k4q7r5t6w8y0z1a"])
]
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN), Field(examples=["bbws-hello"])]
PackageVersion = Annotated[
    str,
    StringConstraints(max_length=VERSION_MAX, pattern=r"^[0-9A-Za-z]+(?:[.+_-][0-9A-Za-z]+)*$"),
    Field(description="The plugin's or theme's own version.", examples=["1.1.0"]),
]
OPTION_NAME_PATTERN = r"^[a-z][a-z0-9_-]{0,63}$"
MAX_OPTIONS = 50


class SitePluginInstall(RequestModel):
    """Either `pluginId` (one catalog entry), or `slug` with `kind` and optionally `version` (newest if omitted)."""

    model_config = ConfigDict(json_schema_extra=body_rules(
        not_null=("pluginId", "slug", "version"), one_of=("pluginId", "slug"), at_most_one=("pluginId", "version")
    ))

    pluginId: PluginId | None = None
    slug: Slug | None = None
    kind: Kind = "plugin"
    version: PackageVersion | None = None
    activate: bool = Field(default=True, description="Activate the plugin, or switch the site to the theme.")

    @model_validator(mode="after")
    def one_reference(self) -> SitePluginInstall:
        refuse_nulls(self, "pluginId", "slug", "version")
        if (self.pluginId is None) == (self.slug is None):
            raise ValueError("send either pluginId or slug (with kind and optionally version)")
        if self.pluginId is not None and self.version is not None:
            raise ValueError("version goes with slug; a pluginId names one version already")
        return self


class SitePluginStatus(RequestModel):
    active: bool = Field(description="Plugins: activate or deactivate. Themes: only true (switch to it).")


class SitePluginConfig(RequestModel):
    options: dict[Annotated[str, StringConstraints(pattern=OPTION_NAME_PATTERN)], Any] = Field(
        min_length=1,
        max_length=MAX_OPTIONS,
        description="WordPress options to set (null deletes one). Names: lower-case letters, digits, '_' or '-', "
        "starting with a letter; WordPress's own options (siteurl, home, active_plugins, user roles...) are refused.",
        examples=[{"bbws_hello_message": "Welcome"}],
    )


class SitePluginUpdate(RequestModel):
    """The catalog version to move to: `version` or `pluginId`; the newest catalog version when both are omitted."""

    model_config = ConfigDict(
        json_schema_extra=body_rules(not_null=("version", "pluginId"), at_most_one=("version", "pluginId"))
    )

    version: PackageVersion | None = None
    pluginId: PluginId | None = None

    @model_validator(mode="after")
    def one_reference(self) -> SitePluginUpdate:
        refuse_nulls(self, "version", "pluginId")
        if self.version is not None and self.pluginId is not None:
            raise ValueError("send version or pluginId, not both")
        return self


class DeclaredPublic(BaseModel):
    pluginId: str | None = None
    version: str | None = None
    active: bool
    config: dict[str, Any] = Field(default_factory=dict)


class ActualPublic(BaseModel):
    version: str | None = None
    active: bool


class DriftItemPublic(BaseModel):
    kind: Kind
    slug: str
    issue: str = Field(description="missing, unexpected, version, inactive, active or theme.")
    declared: Any = None
    actual: Any = None


class SitePluginPublic(BaseModel):
    kind: Kind
    slug: str
    name: str | None = None
    declared: DeclaredPublic | None = Field(description="What the platform installed (null: not declared).")
    actual: ActualPublic | None = Field(description="What WordPress reports (null: not installed).")
    inSync: bool
    links: dict[str, Link] = Field(alias="_links")


class SitePluginList(BaseModel):
    items: list[SitePluginPublic]
    startAt: str | None = None
    moreAvailable: bool = False
    drift: list[DriftItemPublic]
    links: dict[str, Link] = Field(alias="_links")


class SiteDriftPublic(BaseModel):
    siteId: str
    environment: str
    subdomain: str
    inSync: bool | None = Field(description="null when the site could not be read (see error).")
    drift: list[DriftItemPublic]
    error: str | None = Field(default=None, description="Why WordPress could not be asked (the instance is stopped).")
    links: dict[str, Link] = Field(alias="_links")


class TenantDriftPublic(BaseModel):
    tenantId: str
    items: list[SiteDriftPublic] = Field(description="Every ACTIVE site of the tenant the caller may read.")
    sitesWithDrift: int
    links: dict[str, Link] = Field(alias="_links")
